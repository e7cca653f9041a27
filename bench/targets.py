#!/usr/bin/env python3
"""The speed targets of the bulk API (issue 13) from bench_bulk, as ratios to the baselines
measured in the same process, one markdown table per target.

usage: bench/targets.py BENCH_BULK [--levels avx2,avx512] [--rounds 3] [--min-time 0.1]

Each level runs ROUNDS times (each run a separate process: the levels alternate, so that a
noisy machine hits both alike); a row's figure is its best run, and the baselines of the same
level are their best runs. 256Ki elements, 1 thread; 16Mi for the DRAM target.
"""
import argparse
import collections
import json
import subprocess

FORMATS = ["float16", "bfloat16", "float8_e4m3fn", "float8_e5m2", "float6_e3m2fn", "float4_e2m1fn",
           "binary8p3se", "e3m5"]
DETERMINISTIC = ["nearest_even", "nearest_away", "toward_zero", "to_odd"]
INPUTS = ["normal", "wide"]


def run(binary, level, min_time, pattern):
    """One run of the binary at one level: {row: G elements/s}."""
    out = subprocess.run([binary, f"--simd={level}", f"--benchmark_filter={pattern}", "--benchmark_format=json",
                          f"--benchmark_min_time={min_time}"], capture_output=True, text=True, check=True).stdout
    return {b["name"].removesuffix("/real_time"): b["items_per_second"] / 1e9
            for b in json.loads(out[out.index("{"):])["benchmarks"]}


def table(title, target, header, rows):
    """A markdown table; cells (ratio, threshold) are checked against the target, strings printed."""
    lines = [f"**{title}** (target {target})" if target else f"**{title}**", "", "| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)]
    below = 0
    for r in rows:
        cells = []
        for c in r:
            if isinstance(c, tuple):  # (ratio, threshold)
                ok = c[0] >= c[1]
                below += not ok
                cells.append(f"{c[0]:.2f}" if ok else f"**{c[0]:.2f}**")
            else:
                cells.append(str(c))
        lines.append("| " + " | ".join(cells) + " |")
    if target:
        lines += ["", f"{below} figure(s) below target (bold)."]
    return "\n".join(lines)


def report(level, g):
    q = lambda kind, f, m, i, size="256Ki": g.get(f"{kind}/{f}/{m}/{i}/{size}/threads:1", 0.0)
    f16c, memcpy = g.get("baseline/f16c/256Ki", 0.0), g.get("baseline/memcpy/16Mi", 0.0)
    f16c_decode = g.get("baseline/f16c_decode/256Ki", 0.0)
    out = [f"### {level}: F16C round trip {f16c:.2f}, F16C decode {f16c_decode:.2f}, "
           f"memcpy 16Mi {memcpy:.2f} G/s"]
    header = ["format"] + [f"{m} {i}" for m in DETERMINISTIC for i in INPUTS]
    rows = []
    for f in FORMATS:
        need = 0.8 if f in ("float16", "bfloat16") else 0.6
        rows.append([f] + [(q("quantize", f, m, i) / f16c, need) for m in DETERMINISTIC for i in INPUTS])
    out.append(table("1. quantize / F16C round trip, 256Ki", ">= 0.8 for float16 and bfloat16, >= 0.6 for the rest",
                     header, rows))
    header16 = ["format"] + [f"{m} {i}" for m in ("nearest_even", "toward_zero", "to_odd") for i in INPUTS]
    rows = [[f] + [(q("quantize", f, m, i, "16Mi") / memcpy, 0.9) for m in ("nearest_even", "toward_zero", "to_odd")
                   for i in INPUTS] for f in FORMATS]
    out.append(table("1. quantize / memcpy, 16Mi", ">= 0.9", header16, rows))
    rows = [[f] + [(q("quantize", f, "stochastic", i), 0.9) for i in INPUTS] +
            [(q("quantize", f, "stochastic_8bit", i), 1.5) for i in INPUTS] for f in FORMATS]
    out.append(table("2. stochastic quantize, G elements/s", ">= 0.9 with 32 random bits, >= 1.5 with 8",
                     ["format", "32 bits normal", "32 bits wide", "8 bits normal", "8 bits wide"], rows))
    modes = DETERMINISTIC + ["stochastic", "stochastic_8bit"]
    rows = [[f] + [(q("encode", f, m, i) / max(q("quantize", f, m, i), 1e-9), 0.8) for m in modes for i in INPUTS]
            for f in FORMATS]
    out.append(table("3. encode / quantize of the same format and mode", ">= 0.8",
                     ["format"] + [f"{m} {i}" for m in modes for i in INPUTS], rows))
    rows = [[f] + [(q("decode", f, "codes", i) / f16c_decode, 0.8) for i in INPUTS] for f in FORMATS
            if f not in ("float16", "bfloat16", "e3m5")]
    out.append(table("3. decode of 8-bit codes / F16C half -> float", ">= 0.8", ["format", "normal", "wide"], rows))
    rows = [[f] + [(q("quantize_f64", f, m, i) / max(q("quantize", f, m, i), 1e-9), 0.4) for m in DETERMINISTIC
                   for i in INPUTS] for f in FORMATS]
    out.append(table("4. quantize of doubles / of floats, same format and mode", ">= 0.4", header, rows))
    # the memory's share: 256Ki doubles are 4 MiB read and written, where L2 may hold the floats'
    # 2 MiB but not them; near 1.0 here the double spans run at the copy's speed
    memcpy_f64 = g.get("baseline/memcpy_f64/256Ki", 0.0)
    rows = [[f] + [f"{q('quantize_f64', f, m, i) / max(memcpy_f64, 1e-9):.2f}" for m in DETERMINISTIC for i in INPUTS]
            for f in FORMATS]
    out.append(table(f"4. (ceiling) quantize of doubles / memcpy of the doubles ({memcpy_f64:.2f} G/s), 256Ki",
                     None, header, rows))
    return "\n\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--levels", default="avx2,avx512")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--min-time", default="0.1")
    a = ap.parse_args()
    pattern = ("^(((quantize|quantize_f64|encode|decode)/.*/256Ki)|(quantize/.*/(nearest_even|toward_zero|to_odd)/"
               ".*/16Mi))/threads:1(/|$)|^baseline/(f16c|f16c_decode|memcpy_f64)/256Ki(/|$)|^baseline/memcpy/16Mi(/|$)")
    levels = a.levels.split(",")
    best = {l: collections.defaultdict(float) for l in levels}
    for _ in range(a.rounds):
        for l in levels:
            for k, v in run(a.binary, l, a.min_time, pattern).items():
                best[l][k] = max(best[l][k], v)
    print("\n\n".join(report(l, best[l]) for l in levels))


if __name__ == "__main__":
    main()
