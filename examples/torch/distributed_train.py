"""Data-parallel training under torch.distributed (gloo, processes on localhost) with precsim
rounding gradients and weights stochastically, next to the same run in float32.

Each rank trains on its own shard of a synthetic teacher-student regression task. Per step:
backward, each rank rounds its gradients to --grad-format (stochastic, its own streams: the
gradients differ between ranks), all_reduce averages them, and the optimizer step keeps the
weights in --weight-format (stochastic rounding with the streams precsim.update_stream(seed,
step, tensor), the same on every rank). Every --check steps all ranks gather their weights and
the run stops with an error unless every rank holds the same bits.

    python3 examples/torch/distributed_train.py --steps 300 --out loss.md

(PYTHONPATH must reach the precsim package: build/gcc/python after the CMake build, or nothing
after `pip install .`.)
"""
import argparse
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import precsim


def model_for(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(32, 128), torch.nn.GELU(), torch.nn.Linear(128, 128), torch.nn.GELU(),
                               torch.nn.Linear(128, 1))


def teacher_data(n, seed):
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(32, 64, generator=torch.Generator().manual_seed(12345)) / 32 ** 0.5
    w2 = torch.randn(64, 1, generator=torch.Generator().manual_seed(54321)) / 8
    x = torch.randn(n, 32, generator=g)
    return x, torch.tanh(x @ w1) @ w2


def weight_bits(model):
    return torch.cat([p.detach().reshape(-1).view(torch.int32) for p in model.parameters()])


def worker(rank, world, port, args, config, queue):
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    model = model_for(args.seed)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    low = config == "precsim"
    if low:
        weight_seed = args.seed + (1000 + rank if args.rank_seeds else 0)
        opt = precsim.nn.LowPrecisionOptimizer(opt, args.weight_format, mode="stochastic", seed=weight_seed)
    x_eval, y_eval = teacher_data(4096, 999)
    losses, checks = [], 0
    for step in range(args.steps):
        x, y = teacher_data(args.batch, 1 + step * world + rank)  # this rank's shard
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        for i, p in enumerate(model.parameters()):
            if low:  # each rank its own gradient streams: seed + 1 + rank
                seed, stream = precsim.update_stream(args.seed + 1 + rank, step, i)
                p.grad = precsim.quantize(p.grad, args.grad_format, mode="stochastic", seed=seed, stream=stream)
            dist.all_reduce(p.grad)
            p.grad /= world
        opt.step()
        if step % args.check == args.check - 1 or step == args.steps - 1:
            mine = weight_bits(model)
            gathered = [torch.empty_like(mine) for _ in range(world)]
            dist.all_gather(gathered, mine)
            if not all(torch.equal(g, gathered[0]) for g in gathered):
                raise SystemExit(f"{config}: ranks hold different weights after step {step}")
            checks += 1
        if rank == 0 and (step % args.every == 0 or step == args.steps - 1):
            with torch.no_grad():
                losses.append((step, torch.nn.functional.mse_loss(model(x_eval), y_eval).item()))
    if rank == 0:
        on_grid = all(torch.equal(p.detach(), precsim.quantize(p.detach(), args.weight_format))
                      for p in model.parameters()) if low else None
        queue.put((config, losses, checks, on_grid))
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--world", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weight-format", default="bfloat16")
    ap.add_argument("--grad-format", default="float8_e5m2")
    ap.add_argument("--check", type=int, default=25, help="compare the ranks' weights every N steps")
    ap.add_argument("--every", type=int, default=25, help="evaluate the loss every N steps")
    ap.add_argument("--out", help="write the loss table (Markdown) here")
    ap.add_argument("--rank-seeds", action="store_true",
                    help="self-check: give each rank its own weight streams, which the agreement check must catch")
    args = ap.parse_args()
    precsim.parse_format(args.weight_format), precsim.parse_format(args.grad_format)  # fail early on bad names

    ctx = mp.get_context("spawn")
    results = {}
    for config in ("float32", "precsim"):
        queue = ctx.SimpleQueue()
        mp.spawn(worker, args=(args.world, free_port(), args, config, queue), nprocs=args.world, join=True)
        name, losses, checks, on_grid = queue.get()
        results[name] = losses
        print(f"{name}: {args.world} ranks agreed bit for bit at {checks} checks"
              + (f"; weights on the {args.weight_format} grid: {on_grid}" if on_grid is not None else ""))
        if on_grid is False:
            raise SystemExit("weights left the storage format")

    lines = [f"| step | float32 | weights {args.weight_format}, gradients {args.grad_format} (SR) |", "|---|---|---|"]
    for (step, a), (_, b) in zip(results["float32"], results["precsim"]):
        lines.append(f"| {step} | {a:.5f} | {b:.5f} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(f"Evaluation MSE, {args.world} ranks (gloo), batch {args.batch} per rank, SGD lr {args.lr} "
                     f"momentum 0.9, seed {args.seed}\n\n{table}\n")


if __name__ == "__main__":
    sys.exit(main())
