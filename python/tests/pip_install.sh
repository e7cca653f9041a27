#!/usr/bin/env bash
# `pip install .` offline with Debian's tools: a copy of the sources (the build writes into its
# tree) installed into a venv that sees the system's torch, then the installed package is imported
# from outside the sources and checked against the C++ core. Usage: pip_install.sh SOURCE WORKDIR PYTHON
set -euo pipefail
source=$1 work=$2 python=$3
rm -rf "$work" && mkdir -p "$work/src"
cp -r "$source"/{include,src,python,setup.py,pyproject.toml} "$work/src/"
rm -rf "$work/src/python/tests"
"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install -q --no-build-isolation --no-deps --no-index "$work/src"
cd "$work"
"$work/venv/bin/python" - <<'PY'
import torch, precsim
assert precsim.__file__.startswith(__import__("sys").prefix), precsim.__file__
x = torch.randn(10000, dtype=torch.float64) * 100
for fmt in ("float8_e4m3fn", "bfloat16", "binary8p3se"):
    for mode in precsim.MODES:
        got = precsim.quantize(x, fmt, mode=mode, seed=1, stream=2)
        ref = precsim._C._reference(x, precsim.parse_format(fmt), mode, "none", 0, "c", 1, 2, 0, False)
        assert torch.equal(got.view(torch.int64), ref.view(torch.int64)), (fmt, mode)
assert torch.ops.precsim.quantize(torch.tensor([0.3]), "float8_e4m3fn").item() == 0.3125
print("pip install . : installed precsim", precsim.__file__, "matches the C++ core")
PY
