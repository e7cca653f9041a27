"""precsim.quantize on torch tensors next to torch's own conversion and a copy, in one process.

    PYTHONPATH=build/gcc/python python3 bench/bench_torch.py [--n 16777216] [--threads 1]

Prints G elements/s (median of --reps runs) for float32 tensors of N(0,1) values: calls that
return new tensors (each allocates its result: for tensors this large, fresh pages from the
system) and calls that write into a preallocated tensor.
"""
import argparse
import statistics
import time

import torch

import precsim


def rate(fn, n, reps):
    fn()  # warm: first-touch of the output pages, thread start
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return n / statistics.median(times) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=16 << 20)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--threads", type=int, default=0, help="torch's and precsim's threads (0: their defaults)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
        precsim.set_max_threads(args.threads)
    x = torch.randn(args.n, generator=torch.Generator().manual_seed(0))
    y = torch.empty_like(x)
    rows = [
        ("y.copy_(x) (preallocated)", lambda: y.copy_(x)),
        ("precsim.quantize(x, 'bfloat16', out=y)", lambda: precsim.quantize(x, "bfloat16", out=y)),
        ("precsim.quantize(x, 'float8_e4m3fn', out=y)", lambda: precsim.quantize(x, "float8_e4m3fn", out=y)),
        ("precsim.quantize(x, 'float8_e4m3fn', stochastic, out=y)",
         lambda: precsim.quantize(x, "float8_e4m3fn", mode="stochastic", seed=0, stream=0, out=y)),
        ("x.clone() (copy)", lambda: x.clone()),
        ("x.to(torch.bfloat16).float()", lambda: x.to(torch.bfloat16).float()),
        ("x.half().float()", lambda: x.half().float()),
        ("precsim.quantize(x, 'bfloat16')", lambda: precsim.quantize(x, "bfloat16")),
        ("precsim.quantize(x, 'float16')", lambda: precsim.quantize(x, "float16")),
        ("precsim.quantize(x, 'float8_e4m3fn')", lambda: precsim.quantize(x, "float8_e4m3fn")),
        ("precsim.quantize(x, 'float8_e4m3fn', stochastic)",
         lambda: precsim.quantize(x, "float8_e4m3fn", mode="stochastic", seed=0, stream=0)),
        ("precsim.quantize(x, 'float8_e4m3fn', stochastic, random_bits=8)",
         lambda: precsim.quantize(x, "float8_e4m3fn", mode="stochastic", random_bits=8, seed=0, stream=0)),
        ("precsim.encode(x, 'float8_e4m3fn') (uint8 codes)", lambda: precsim.encode(x, "float8_e4m3fn")),
        ("precsim.quantize_blocks(x, 'mxfp8_e4m3')", lambda: precsim.quantize_blocks(x.view(-1, 1024), "mxfp8_e4m3")),
        ("torch.ops.precsim.quantize(x, 'bfloat16')", lambda: torch.ops.precsim.quantize(x, "bfloat16")),
    ]
    print(f"{args.n} float32 elements, torch {torch.__version__}, threads: torch {torch.get_num_threads()}, "
          f"precsim {precsim.max_threads()}")
    print("| call | G elements/s |\n|---|---|")
    for name, fn in rows:
        print(f"| `{name}` | {rate(fn, args.n, args.reps):.2f} |")


if __name__ == "__main__":
    main()
