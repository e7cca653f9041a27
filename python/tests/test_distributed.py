"""The distributed example (2 gloo processes): every rank holds the same rounded weights, and the
check that says so fails when the ranks' weight streams differ."""
import os
import subprocess
import sys


def run(source, *extra):
    env = dict(os.environ)
    return subprocess.run([sys.executable, str(source / "examples" / "torch" / "distributed_train.py"), "--steps", "40",
                           "--check", "10", "--every", "20", *extra], env=env, capture_output=True, text=True,
                          timeout=600)


def test_ranks_agree_bit_for_bit_and_the_loss_falls(source):
    r = run(source)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "precsim: 2 ranks agreed bit for bit at 4 checks; weights on the bfloat16 grid: True" in r.stdout
    rows = [line.split("|") for line in r.stdout.splitlines() if line.startswith("| 0 ") or line.startswith("| 39 ")]
    first, last = float(rows[0][3]), float(rows[1][3])
    assert last < 0.5 * first


def test_the_agreement_check_catches_ranks_with_different_streams(source):
    r = run(source, "--rank-seeds")
    assert r.returncode != 0
    assert "precsim: ranks hold different weights after step 9" in r.stdout + r.stderr
