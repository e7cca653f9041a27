#!/usr/bin/env python3
"""Markdown tables from bench_bulk, bench_blocks or bench_train JSON output: items/s, bytes/s and ratios to the
baselines measured in the same run (medians when the run has repetitions).
Usage: bench/table.py results.json"""
import json, sys

runs = json.load(open(sys.argv[1]))["benchmarks"]
# With --benchmark_repetitions, use the medians.
if any(r.get("run_type") == "aggregate" for r in runs):
    runs = [r for r in runs if r.get("aggregate_name") == "median"]
# bench_train: GFLOP/s of each GEMM case against the plain GEMM of the same size and threads.
if any(r["run_name"].startswith("gemm/") for r in runs):
    flops = {r["run_name"].removesuffix("/real_time"): r["FLOP/s"] for r in runs}
    print("| case | size | threads | GFLOP/s | plain GFLOP/s | x plain time |")
    print("|---|---|---|---|---|---|")
    for name, f in flops.items():
        _, case, size, threads = name.split("/")
        plain = flops[f"gemm/plain/{size}/{threads}"]
        print(f"| {case} | {size} | {threads.split(':')[1]} | {f / 1e9:.2f} | {plain / 1e9:.2f} | {plain / f:.2f} |")
    sys.exit(0)

rate = {}
for r in runs:
    name = r["run_name"].removesuffix("/real_time")
    rate[name] = (r["items_per_second"], r["bytes_per_second"])

def g(x):
    return f"{x / 1e9:.2f}"

# bench_blocks: each block row against the element-wise call of its element format.
ELEMENT = {"int8_per_channel": "int8", "int4_per_channel": "int4", "mxfp8_e4m3": "float8_e4m3fn",
           "mxfp4_e2m1": "float4_e2m1fn", "nvfp4": "float4_e2m1fn", "fp8_tiles_128x128": "float8_e4m3fn"}
if any(name.startswith("blocks/") for name in rate):
    print("| operation | format | size | threads | G items/s | element-wise G items/s | x element-wise time | x memcpy |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (items, _) in rate.items():
        if not name.startswith("blocks/"):
            continue
        _, op, fmt, size, threads = name.split("/")
        elem = rate[f"elementwise/{op}/{ELEMENT[fmt]}/{size}/{threads}"][0]
        mc = rate[f"baseline/memcpy/{size}"][0]
        print(f"| {op} | {fmt} | {size} | {threads.split(':')[1]} | {g(items)} | {g(elem)} | "
              f"{elem / items:.2f} | {items / mc:.2f} |")
    sys.exit(0)

base = {}
for name, (items, _) in rate.items():
    if name.startswith("baseline/"):
        _, kind, size = name.split("/")
        base[(kind, size)] = items

# x F16C: against the F16C round trip, for decode against F16C half->float.
print("| operation | format | mode | inputs | size | threads | G items/s | GB/s | x memcpy | x F16C |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name, (items, nbytes) in rate.items():
    if name.startswith("baseline/"):
        continue
    op, fmt, mode, dist, size, threads = name.split("/")
    mc = base.get(("memcpy", size))
    hw = base.get(("f16c_decode" if op == "decode" else "f16c", size))
    print(f"| {op} | {fmt} | {mode} | {dist} | {size} | {threads.split(':')[1]} | {g(items)} | "
          f"{nbytes / 1e9:.1f} | {items / mc:.2f} | " + (f"{items / hw:.2f}" if hw else "n/a") + " |")
print()
print("| baseline | size | G items/s |")
print("|---|---|---|")
for (kind, size), items in base.items():
    print(f"| {kind} | {size} | {g(items)} |")
