"""The Python calls give the C++ core's bits: every named format, P3109 and custom formats, every
mode, float32 and float64 inputs, NumPy and torch alike; float16 / bfloat16 nearest also match
torch's own conversions (an independent implementation)."""
import csv

import numpy as np
import pytest
import torch

import precsim
from conftest import bits, inputs

FORMATS = list(precsim.formats) + ["binary8p3se", "binary8p4sf", "binary8p1ue", "binary6p3sf", "e3m5", "e5m4fnuz"]
MODES = precsim.MODES
SATURATIONS = precsim.SATURATIONS


def reference(x, fmt, mode, saturate="none", random_bits=0, variant="c", seed=0, stream=0, offset=0, codes=False):
    return precsim._C._reference(x, precsim.parse_format(fmt), mode, saturate, random_bits, variant, seed, stream,
                                 offset, codes)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_quantize_and_encode_equal_the_scalar_core(fmt, dtype):
    x = inputs(dtype)
    for mode in MODES:
        for saturate in SATURATIONS:
            sr = dict(seed=11, stream=3, offset=5) if mode == "stochastic" else {}
            got = precsim.quantize(x, fmt, mode=mode, saturate=saturate, **sr)
            want = reference(x, fmt, mode, saturate, **sr)
            assert got.dtype == dtype
            assert torch.equal(bits(got), bits(want)), (fmt, mode, saturate)
            if precsim.parse_format(fmt).storage_bits <= 32 or dtype == torch.float64:
                codes = precsim.encode(x, fmt, mode=mode, saturate=saturate, **sr)
                want_codes = reference(x, fmt, mode, saturate, codes=True, **sr)
                assert torch.equal(codes.to(torch.int64) & ((1 << precsim.parse_format(fmt).storage_bits) - 1)
                                   if precsim.parse_format(fmt).storage_bits < 64 else codes, want_codes), (fmt, mode)


@pytest.mark.parametrize("random_bits,variant", [(0, "c"), (3, "a"), (8, "b"), (8, "c"), (13, "c"), (24, "a")])
def test_stochastic_rounding_with_few_random_bits_follows_the_stream_layout(random_bits, variant):
    x = inputs(torch.float32, n=3000)
    for fmt in ("float8_e4m3fn", "bfloat16", "float4_e2m1fn", "binary8p3se"):
        got = precsim.quantize(x, fmt, mode="stochastic", random_bits=random_bits, variant=variant, seed=5,
                               stream=1 << 40, offset=1000)
        want = reference(x, fmt, "stochastic", random_bits=random_bits, variant=variant, seed=5, stream=1 << 40,
                         offset=1000)
        assert torch.equal(bits(got), bits(want)), fmt


def test_float16_and_bfloat16_nearest_match_torchs_conversions():
    g = torch.Generator().manual_seed(1)
    patterns = torch.randint(-2 ** 31, 2 ** 31 - 1, (1 << 20,), generator=g, dtype=torch.int64).to(torch.int32)
    x = torch.cat([patterns.view(torch.float32), inputs(torch.float32)])
    finite = ~torch.isnan(x)
    for fmt, dtype in (("float16", torch.float16), ("bfloat16", torch.bfloat16)):
        got = precsim.quantize(x, fmt)
        want = x.to(dtype).to(torch.float32)
        assert torch.equal(bits(got[finite]), bits(want[finite])), fmt
        assert torch.isnan(got[~finite]).all()


@pytest.mark.parametrize("fmt", [f for f in FORMATS if precsim.parse_format(f).storage_bits <= 16])
def test_decode_inverts_encode(fmt):
    f = precsim.parse_format(fmt)
    x = inputs(torch.float32)
    if f.specials == "none":  # NaN has no code (quantize passes it through, encode follows formats.md)
        x = x[~torch.isnan(x)]
    for mode in ("nearest_even", "toward_negative", "stochastic"):
        codes = precsim.encode(x, f, mode=mode, seed=2, stream=9)
        assert torch.equal(bits(precsim.decode(codes, f)), bits(precsim.quantize(x, f, mode=mode, seed=2, stream=9)))
    all_codes = torch.arange(1 << f.storage_bits, dtype=torch.int64)
    values = precsim.decode(all_codes, f, dtype=torch.float64)
    numbers = ~torch.isnan(values)
    back = precsim.encode(values[numbers], f).to(torch.int64) & ((1 << f.storage_bits) - 1)
    assert torch.equal(precsim.decode(back, f, dtype=torch.float64), values[numbers])


def test_decode_matches_the_published_p3109_tables(source):
    for name in ("Binary8p3se", "Binary8p4sf", "Binary8p1ue", "Binary6p3sf", "Binary5p2se"):
        with open(source / "tests" / "data" / "p3109" / f"{name}.csv") as fh:
            rows = list(csv.DictReader(fh))
        codes = torch.tensor([int(r["codepoint"], 16) for r in rows], dtype=torch.uint8)
        got = precsim.decode(codes, name.lower(), dtype=torch.float64).tolist()
        for r, v in zip(rows, got):
            text = r["value"].strip()
            want = float("nan") if text == "NaN" else float(text.replace("Inf", "inf")) if "Inf" in text \
                else float.fromhex(text)
            assert (v != v and want != want) or v == want, (name, r["codepoint"], v, text)


def test_numpy_arrays_and_torch_tensors_give_the_same_bits():
    for dtype, ndtype in ((torch.float32, np.float32), (torch.float64, np.float64), (torch.float16, np.float16)):
        t = inputs(torch.float32).to(dtype)
        a = t.numpy()
        for fmt in ("float8_e4m3fn", "float8_e5m2", "float4_e2m1fn"):
            for mode in ("nearest_even", "stochastic"):
                got = precsim.quantize(a, fmt, mode=mode, seed=4, stream=0)
                assert isinstance(got, np.ndarray) and got.dtype == ndtype
                want = precsim.quantize(t, fmt, mode=mode, seed=4, stream=0)
                assert np.array_equal(got.view(f"u{got.itemsize}"), want.numpy().view(f"u{got.itemsize}"))
            codes = precsim.encode(a, fmt)
            assert isinstance(codes, np.ndarray) and codes.dtype == np.uint8
            assert np.array_equal(precsim.decode(codes, fmt).view(np.uint32),
                                  precsim.decode(torch.from_numpy(codes), fmt).numpy().view(np.uint32))
    # Non-contiguous, read-only and uint16 inputs
    a = np.arange(64, dtype=np.float32).reshape(8, 8)[:, ::2] / 7
    a.flags.writeable = False
    assert np.array_equal(precsim.quantize(a, "bfloat16"), precsim.quantize(torch.tensor(a), "bfloat16").numpy())
    codes16 = precsim.encode(np.linspace(-3, 3, 50, dtype=np.float32), "float16").view(np.uint16)
    assert np.array_equal(precsim.decode(codes16, "float16"), np.linspace(-3, 3, 50, dtype=np.float32).astype(np.float16).astype(np.float32))


def test_half_and_bfloat16_tensors_keep_their_dtype():
    x = inputs(torch.float32)
    for dtype in (torch.float16, torch.bfloat16):
        xh = x.to(dtype)
        for fmt in ("float8_e4m3fn", "float8_e5m2", "float4_e2m1fn"):
            got = precsim.quantize(xh, fmt, mode="stochastic", seed=1, stream=2)
            assert got.dtype == dtype
            want = precsim.quantize(xh.float(), fmt, mode="stochastic", seed=1, stream=2)
            assert torch.equal(bits(got.float()), bits(want)), (dtype, fmt)


def test_python_floats_round_like_a_one_element_tensor():
    assert precsim.quantize(0.3, "float8_e4m3fn") == 0.3125
    assert precsim.quantize(0.3, "float8_e4m3fn", mode="toward_zero") == 0.28125
    assert precsim.quantize(1e10, "float8_e4m3fn", saturate="finite") == 448.0


def test_stochastic_streams_are_reproducible_and_offsets_index_the_stream():
    x = torch.full((100000,), 0.3)
    a = precsim.quantize(x, "float8_e4m3fn", mode="stochastic", seed=7, stream=1)
    assert torch.equal(a, precsim.quantize(x, "float8_e4m3fn", mode="stochastic", seed=7, stream=1))
    assert not torch.equal(a, precsim.quantize(x, "float8_e4m3fn", mode="stochastic", seed=7, stream=2))
    tail = precsim.quantize(x[1234:], "float8_e4m3fn", mode="stochastic", seed=7, stream=1, offset=1234)
    assert torch.equal(tail, a[1234:])
    # 0.3 lies between 0.28125 and 0.3125: rounded up with probability 0.6 (unbiased)
    p = (a == 0.3125).double().mean().item()
    assert abs(p - 0.6) < 5 * (0.6 * 0.4 / x.numel()) ** 0.5
    assert set(a.unique().tolist()) == {0.28125, 0.3125}
    # Without a stream, each call takes a fresh one
    assert not torch.equal(precsim.quantize(x, "float8_e4m3fn", mode="stochastic"),
                           precsim.quantize(x, "float8_e4m3fn", mode="stochastic"))


def test_blocks_of_mx_formats_share_a_power_of_two_scale():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(6, 4, 64, generator=g) * torch.exp2(torch.randint(-20, 20, (6, 4, 1), generator=g).float())
    for name, elem, emax in (("mxfp8_e4m3", "float8_e4m3fn", 8), ("mxfp4_e2m1", "float4_e2m1fn", 2),
                             ("mxfp6_e3m2", "float6_e3m2fn", 4)):
        got = precsim.quantize_blocks(x, name)
        assert torch.equal(got, precsim.quantize_blocks(x.reshape(24, 64), name).reshape(6, 4, 64))
        blocks = x.reshape(-1, 32).double()
        scale = torch.exp2(torch.floor(torch.log2(blocks.abs().amax(1, keepdim=True))) - emax)
        want = precsim.quantize(blocks / scale, elem, saturate="finite") * scale
        assert torch.equal(got.reshape(-1, 32).double(), want), name


def test_out_receives_the_same_bits_and_may_be_the_input():
    x = inputs(torch.float32)
    for dtype in (torch.float32, torch.float64, torch.bfloat16):
        xd = x.to(dtype)
        want = precsim.quantize(xd, "float8_e4m3fn", mode="stochastic", seed=3, stream=3)
        out = torch.empty_like(xd)
        assert precsim.quantize(xd, "float8_e4m3fn", mode="stochastic", seed=3, stream=3, out=out) is out
        assert torch.equal(bits(out), bits(want))
        inplace = xd.clone()
        precsim.quantize(inplace, "float8_e4m3fn", mode="stochastic", seed=3, stream=3, out=inplace)
        assert torch.equal(bits(inplace), bits(want))
    w = torch.randn(8, 64)
    want = precsim.quantize_blocks(w, "nvfp4")
    assert torch.equal(precsim.quantize_blocks(w, "nvfp4", out=w), want) and torch.equal(w, want)
    a = np.random.default_rng(0).standard_normal(100).astype(np.float32)
    o = np.empty_like(a)
    assert precsim.quantize(a, "float8_e5m2", out=o) is o
    assert np.array_equal(o, precsim.quantize(a, "float8_e5m2"))


def test_thread_count_changes_no_bit():
    x = inputs(torch.float32, n=1 << 18)
    want = precsim.quantize(x, "float8_e4m3fn", mode="stochastic", random_bits=8, seed=1, stream=1)
    try:
        for n in (1, 3):
            precsim.set_max_threads(n)
            assert precsim.max_threads() == n
            got = precsim.quantize(x, "float8_e4m3fn", mode="stochastic", random_bits=8, seed=1, stream=1)
            assert torch.equal(bits(got), bits(want))
    finally:
        precsim.set_max_threads(0)
