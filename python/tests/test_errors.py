"""Bad arguments raise ValueError or TypeError naming the problem."""
import numpy as np
import pytest
import torch

import precsim

X = torch.randn(8)


@pytest.mark.parametrize("call,error,words", [
    (lambda: precsim.quantize(X, "float9_e4m4"), ValueError, "unknown format 'float9_e4m4'"),
    (lambda: precsim.quantize(X, "binary8p9se"), ValueError, "P must be"),
    (lambda: precsim.quantize(X, 8), TypeError, "format must be"),
    (lambda: precsim.quantize(X, "float8_e4m3fn", mode="nearest"), ValueError, "unknown rounding mode 'nearest'"),
    (lambda: precsim.quantize(X, "float8_e4m3fn", mode=1), TypeError, "mode must be a str"),
    (lambda: precsim.quantize(X, "float8_e4m3fn", saturate="clamp"), ValueError, "unknown saturation 'clamp'"),
    (lambda: precsim.quantize(X, "float8_e4m3fn", variant="d"), ValueError, "variant 'd'"),
    (lambda: precsim.quantize(X, "float8_e4m3fn", random_bits=65), ValueError, "random_bits must be in 0..64"),
    (lambda: precsim.quantize(X, "float8_e4m3fn", random_bits=2.5), TypeError, "random_bits must be an int"),
    (lambda: precsim.quantize(X, "float8_e4m3fn", seed=-1), ValueError, "seed must be in"),
    (lambda: precsim.quantize(X, "float8_e4m3fn", stream=1 << 64), ValueError, "stream must be in"),
    (lambda: precsim.quantize(X, "float8_e4m3fn", offset=3), ValueError, "offset needs a seed or a stream"),
    (lambda: precsim.quantize([1.0, 2.0], "float8_e4m3fn"), TypeError, "x must be a torch.Tensor"),
    (lambda: precsim.quantize(torch.arange(4), "float8_e4m3fn"), TypeError, "x has dtype torch.int64"),
    (lambda: precsim.quantize(np.arange(4), "float8_e4m3fn"), TypeError, "x has dtype torch.int64"),
    (lambda: precsim.quantize(X.bfloat16(), "float16"), ValueError, "float16 are not all BFloat16 values"),
    (lambda: precsim.decode(X, "float8_e4m3fn"), TypeError, "codes has dtype torch.float32"),
    (lambda: precsim.decode(torch.zeros(3, dtype=torch.uint8), "float16"), ValueError, "do not fit a 8-bit"),
    (lambda: precsim.decode(torch.zeros(3, dtype=torch.uint8), "float8_e4m3fn", dtype=torch.int32), TypeError,
     "dtype must be"),
    (lambda: precsim.decode(torch.zeros(3, dtype=torch.int16), "float32"), ValueError, "do not fit a 16-bit"),
    (lambda: precsim.decode(torch.zeros(3, dtype=torch.int16), "e6m3", dtype=torch.float16), ValueError,
     "values of e6m3 are not all Half values"),
    (lambda: precsim.quantize_blocks(X.double(), "mxfp8_e4m3"), TypeError, "block formats take float32"),
    (lambda: precsim.quantize_blocks(X, "mxfp9"), ValueError, "unknown block format 'mxfp9'"),
    (lambda: precsim.quantize_blocks(X, "float8_e4m3fn"), ValueError, "unknown block format"),
    (lambda: precsim.fake_quantize(X, "mxfp8"), ValueError, "unknown format 'mxfp8'"),
    (lambda: precsim.fake_quantize(X.numpy(), "float8_e4m3fn"), TypeError, "x must be a torch.Tensor"),
    (lambda: precsim.fake_quantize(X, "float8_e4m3fn", clip=1), TypeError, "clip must be a bool"),
    (lambda: precsim.fake_quantize(X.double(), "mxfp8_e4m3"), ValueError, "block formats need a float32 input"),
    (lambda: precsim.Format(0, 3), ValueError, "exponent_bits must be in 1..11"),
    (lambda: precsim.Format(4, 3, specials="nan_min"), ValueError, "unknown specials 'nan_min'"),
    (lambda: precsim.Format(4, 3, specials="none", infinity=True), ValueError, "float_format.infinity"),
    (lambda: precsim.BlockFormat(precsim.formats["float8_e4m3fn"], shape=(1, 32), rule="floor"), ValueError,
     "unknown rule 'floor'"),
    (lambda: precsim.BlockFormat("e4m3"), TypeError, "element must be"),
    (lambda: precsim.BlockFormat(1), ValueError, "bits"),
    (lambda: precsim.update_stream(0, 1 << 44, 0), ValueError, "step must be in"),
    (lambda: precsim.nn.LowPrecisionOptimizer([], "bfloat16"), TypeError, "optimizer must be"),
    (lambda: precsim.nn.QuantLinear(4, 4, weight="float8_e4m3"), ValueError, "unknown format 'float8_e4m3'"),
])
def test_bad_arguments_raise_a_named_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


def test_formats_whose_values_fit_are_accepted_for_half_tensors():
    assert precsim.quantize(X.half(), "float8_e4m3fnuz").dtype == torch.float16
    assert precsim.decode(torch.zeros(3, dtype=torch.uint8), "float8_e5m2", dtype=torch.float16).dtype == torch.float16


def test_custom_ops_raise_the_same_errors():
    with pytest.raises(ValueError, match="unknown rounding mode 'up'"):
        torch.ops.precsim.quantize(X, "float8_e4m3fn", mode="up")
    with pytest.raises(ValueError, match="unknown format 'e4m3x'"):
        torch.ops.precsim.quantize(X, "e4m3x")


def test_the_meta_device_and_undefined_inputs_are_refused():
    with pytest.raises(ValueError, match="only CPU tensors"):
        precsim.quantize(torch.empty(4, device="meta"), "bfloat16")


def test_empty_and_zero_dimensional_tensors_work():
    assert precsim.quantize(torch.empty(0), "float8_e4m3fn").shape == (0,)
    assert precsim.quantize(torch.tensor(0.3), "float8_e4m3fn").item() == 0.3125
    assert precsim.quantize_blocks(torch.empty(0, 32), "mxfp8_e4m3").shape == (0, 32)
    assert precsim.quantize_blocks(torch.tensor(3.0), "mxfp8_e4m3").item() == 3.0
    assert precsim.encode(torch.empty(2, 0), "float16").shape == (2, 0)


def test_bad_out_tensors_are_refused():
    with pytest.raises(ValueError, match="out has dtype Double, the input Float"):
        precsim.quantize(X, "bfloat16", out=torch.empty(8, dtype=torch.float64))
    with pytest.raises(ValueError, match="out has 7 elements, the input 8"):
        precsim.quantize(X, "bfloat16", out=torch.empty(7))
    with pytest.raises(ValueError, match="out must be a contiguous CPU tensor"):
        precsim.quantize(X, "bfloat16", out=torch.empty(16)[::2])
    with pytest.raises(ValueError, match="overlap"):
        big = torch.randn(9)
        precsim.quantize(big[:8], "bfloat16", out=big[1:])
    with pytest.raises(TypeError, match="out must be of the input's kind"):
        precsim.quantize(X, "bfloat16", out=X.numpy())
