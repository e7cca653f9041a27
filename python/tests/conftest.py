import os
import pathlib

import pytest
import torch

SOURCE = pathlib.Path(os.environ.get("PRECSIM_SOURCE", pathlib.Path(__file__).resolve().parents[2]))


@pytest.fixture
def source():
    return SOURCE


def bits(t):
    """The bit patterns of a float tensor (NaN payloads and signed zeros compared too)."""
    return t.contiguous().view({torch.float32: torch.int32, torch.float64: torch.int64,
                                torch.float16: torch.int16, torch.bfloat16: torch.int16}[t.dtype])


def inputs(dtype=torch.float32, n=4096, seed=0):
    """Specials, values around every power of two from 2^-150 to 2^130 (ties, just above, just
    below), N(0,1) and wide-range |x| = 2^U(-30, 20) with random signs."""
    g = torch.Generator().manual_seed(seed)
    info = torch.finfo(dtype)
    special = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), info.max, -info.max, info.tiny, 1.0, -1.0,
               0.3, -0.3, 448.0, 464.0, 480.0, 57344.0, 61440.0, 65504.0, 65520.0, 6.0, 7.0, 240.0]
    powers = torch.tensor([2.0 ** e for e in range(-150, 128)], dtype=torch.float64)
    near = torch.cat([powers * f for f in (1.0, 1.5, 1.25, 1.125, 1.0625, 1.03125, 1.75, 1.0000001, 0.9999999)])
    wide = torch.exp2(torch.rand(n, generator=g, dtype=torch.float64) * 50 - 30)
    wide = wide * (torch.randint(0, 2, (n,), generator=g) * 2 - 1)
    x = torch.cat([torch.tensor(special, dtype=torch.float64), near, -near,
                   torch.randn(n, generator=g, dtype=torch.float64), wide])
    return x.to(dtype)
