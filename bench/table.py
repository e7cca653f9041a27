#!/usr/bin/env python3
"""Markdown tables from bench_bulk JSON output: items/s, bytes/s and ratios to the baselines
measured in the same run (medians when the run has repetitions). Usage: bench/table.py results.json"""
import json, sys

runs = json.load(open(sys.argv[1]))["benchmarks"]
# With --benchmark_repetitions, use the medians.
if any(r.get("run_type") == "aggregate" for r in runs):
    runs = [r for r in runs if r.get("aggregate_name") == "median"]
rate = {}
for r in runs:
    name = r["run_name"].removesuffix("/real_time")
    rate[name] = (r["items_per_second"], r["bytes_per_second"])

def g(x):
    return f"{x / 1e9:.2f}"

base = {}
for name, (items, _) in rate.items():
    if name.startswith("baseline/"):
        _, kind, size = name.split("/")
        base[(kind, size)] = items

print("| operation | format | mode | inputs | size | threads | G items/s | GB/s | x memcpy | x F16C |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name, (items, nbytes) in rate.items():
    if name.startswith("baseline/"):
        continue
    op, fmt, mode, dist, size, threads = name.split("/")
    mc = base.get(("memcpy", size))
    hw = base.get(("f16c", size))
    print(f"| {op} | {fmt} | {mode} | {dist} | {size} | {threads.split(':')[1]} | {g(items)} | "
          f"{nbytes / 1e9:.1f} | {items / mc:.2f} | " + (f"{items / hw:.2f}" if hw else "n/a") + " |")
print()
print("| baseline | size | G items/s |")
print("|---|---|---|")
for (kind, size), items in base.items():
    print(f"| {kind} | {size} | {g(items)} |")
