"""precsim: bit-exact simulation of any floating-point format, for PyTorch tensors and NumPy arrays.

The rounding is the C++ library's (include/precsim): the same formats, modes, saturation, bits and
stochastic-rounding streams as its span API. Reference: docs/torch.md.

    import precsim, torch
    x = torch.randn(1024)
    precsim.quantize(x, "float8_e4m3fn")                                   # round to nearest even
    precsim.quantize(x, "float8_e5m2", mode="stochastic", seed=0, stream=7)  # reproducible SR
    precsim.quantize_blocks(x.view(32, 32), "mxfp4_e2m1")                   # OCP MX blocks
"""

import numbers

import torch

from . import _precsim as _C

Format = _C.Format
BlockFormat = _C.BlockFormat
parse_format = _C.parse_format
parse_block_format = _C.parse_block_format
p3109 = _C.p3109
mx = _C.mx
int_scaled = _C.int_scaled
fp8_tiles = _C.fp8_tiles
set_max_threads = _C.set_max_threads
max_threads = _C.max_threads

#: The named element formats (``precsim.formats["float8_e4m3fn"]``) and block formats.
formats = _C.named_formats()
block_formats = _C.named_block_formats()

MODES = ("nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "to_odd", "stochastic")
SATURATIONS = ("none", "finite", "propagate")

_FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
_MAX_U64 = (1 << 64) - 1

__all__ = ["Format", "BlockFormat", "parse_format", "parse_block_format", "p3109", "mx", "int_scaled", "fp8_tiles",
           "formats", "block_formats", "quantize", "encode", "decode", "quantize_blocks", "fake_quantize",
           "update_stream", "set_max_threads", "max_threads", "nn"]


def _named(fmt, cls, parse, what):
    if isinstance(fmt, cls):
        return fmt
    if isinstance(fmt, str):
        return parse(fmt)
    raise TypeError(f"format must be a precsim.{cls.__name__} or a {what} name (str), not {type(fmt).__name__}")


def _format(fmt):
    return _named(fmt, Format, parse_format, "format")


def _block_format(fmt):
    return _named(fmt, BlockFormat, parse_block_format, "block format")


def _any_format(fmt):
    """An element format, a block format or None (no rounding)."""
    if fmt is None or isinstance(fmt, (Format, BlockFormat)):
        return fmt
    if isinstance(fmt, str):
        if fmt == "none":
            return None
        try:
            return parse_format(fmt)
        except ValueError:
            pass
        try:
            return parse_block_format(fmt)
        except ValueError:
            raise ValueError(f"unknown format '{fmt}' (an element format such as float8_e4m3fn, a block format "
                             "such as mxfp8_e4m3 or int4_channel, or none)") from None
    raise TypeError(f"format must be a precsim.Format, a precsim.BlockFormat, a name or None, "
                    f"not {type(fmt).__name__}")


def _int(value, name, lo, hi, optional=False):
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    value = int(value)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in {lo}..{hi}, got {value}")
    return value


def _round_options(mode, saturate, random_bits, variant):
    for name, value in (("mode", mode), ("saturate", saturate), ("variant", variant)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return dict(mode=mode, saturate=saturate, random_bits=_int(random_bits, "random_bits", 0, 64), variant=variant)


def _rounding(mode, saturate, random_bits, variant, seed, stream, offset):
    """The rounding and stream keywords of the extension's calls, checked."""
    return dict(_round_options(mode, saturate, random_bits, variant),
                seed=_int(seed, "seed", 0, _MAX_U64, optional=True),
                stream=_int(stream, "stream", 0, _MAX_U64, optional=True), offset=_int(offset, "offset", 0, _MAX_U64))


def _tensor(x, name="x", integer=False):
    """(tensor, back) where back turns a result tensor into x's kind (NumPy array, float, tensor)."""
    if isinstance(x, torch.Tensor):
        return x, lambda t: t
    if isinstance(x, numbers.Real) and not isinstance(x, bool) and not integer:
        return torch.tensor([float(x)], dtype=torch.float64), lambda t: t.item()
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if np is not None and isinstance(x, np.ndarray):
        a = np.ascontiguousarray(x)
        if a.dtype == np.uint16 or a.dtype == np.uint32 or a.dtype == np.uint64:  # no unsigned torch dtypes
            a = a.view({2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize])
        if not a.flags.writeable:
            a = a.copy()
        try:
            t = torch.from_numpy(a)
        except TypeError:
            raise TypeError(f"{name} has NumPy dtype {x.dtype}, which torch cannot take") from None
        return t, lambda r: r.numpy()
    kind = "an integer tensor or NumPy array" if integer else "a torch.Tensor, a NumPy array or a float"
    raise TypeError(f"{name} must be {kind}, not {type(x).__name__}")


def _float_tensor(x):
    t, back = _tensor(x)
    if t.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"x has dtype {t.dtype}; expected float32, float64, float16 or bfloat16")
    return t, back


def _out(out, x, back):
    """The torch tensor behind ``out`` (of x's kind), and the function that returns ``out`` itself."""
    if out is None:
        return None, back
    if isinstance(x, torch.Tensor) and isinstance(out, torch.Tensor):
        return out, lambda t: out
    import numpy as np
    if isinstance(x, np.ndarray) and isinstance(out, np.ndarray):
        if not (out.flags.c_contiguous and out.flags.writeable):
            raise ValueError("out must be a writable C-contiguous array")
        return torch.from_numpy(out), lambda t: out
    raise TypeError(f"out must be of the input's kind (torch.Tensor or NumPy array), not {type(out).__name__}")


def quantize(x, format, mode="nearest_even", saturate="none", random_bits=0, variant="c", seed=None, stream=None,
             offset=0, out=None):
    """x rounded to ``format``, in x's dtype (a new tensor or array; a float for a float).

    mode: nearest_even, nearest_away, toward_zero, toward_positive, toward_negative, to_odd or
    stochastic; saturate: none, finite or propagate; random_bits (stochastic): 0 = exact
    proportional rounding, else the bits of random word per element; variant: a, b, c (P3109).
    seed / stream / offset: the stochastic-rounding stream (element i uses word offset + i); both
    seed and stream None: a fresh stream per call. float16 / bfloat16 inputs need a format whose
    values they hold. out: write the result there (x's kind, dtype and size, contiguous; x itself
    rounds in place) instead of a new tensor or array.
    """
    t, back = _float_tensor(x)
    o, back = _out(out, x, back)
    return back(_C.quantize(t, _format(format), **_rounding(mode, saturate, random_bits, variant, seed, stream, offset),
                            out=o))


def encode(x, format, mode="nearest_even", saturate="none", random_bits=0, variant="c", seed=None, stream=None,
           offset=0):
    """The codes of x rounded to ``format``: uint8 (<= 8 bits), int16 (<= 16; the bit pattern), int32 or int64."""
    t, back = _float_tensor(x)
    return back(_C.encode(t, _format(format), **_rounding(mode, saturate, random_bits, variant, seed, stream, offset)))


def decode(codes, format, dtype=torch.float32):
    """The values of ``codes`` (integers; bits above the format's ignored) as ``dtype``."""
    t, back = _tensor(codes, "codes", integer=True)
    if t.dtype.is_floating_point or t.dtype == torch.bool or t.dtype.is_complex:
        raise TypeError(f"codes has dtype {t.dtype}; expected an integer dtype")
    if dtype not in _FLOAT_DTYPES:
        raise TypeError(f"dtype must be torch.float32, float64, float16 or bfloat16, not {dtype}")
    return back(_C.decode(t, _format(format), dtype))


def quantize_blocks(x, format, mode="nearest_even", saturate="none", random_bits=0, variant="c", seed=None,
                    stream=None, offset=0, out=None):
    """Block-scaled fake quantization of a float32 tensor: its last dimension is a row, the other
    dimensions count the rows (a Linear weight [out, in] has per-output-channel rows). out: as
    for quantize."""
    t, back = _float_tensor(x)
    if t.dtype != torch.float32:
        raise TypeError(f"x has dtype {t.dtype}; block formats take float32")
    o, back = _out(out, x, back)
    return back(_C.quantize_blocks(t, _block_format(format),
                                   **_rounding(mode, saturate, random_bits, variant, seed, stream, offset), out=o))


def fake_quantize(x, format, mode="nearest_even", saturate="none", random_bits=0, variant="c", seed=None,
                  stream=None, offset=0, clip=False):
    """Straight-through fake quantization of a torch tensor: forward rounds to ``format`` (an element
    or block format, or None), backward passes the gradient unchanged, or zero where the forward
    clipped (``clip=True``: inputs beyond the grid's end by more than half its last step)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, not {type(x).__name__}")
    if x.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"x has dtype {x.dtype}; expected float32, float64, float16 or bfloat16")
    if not isinstance(clip, bool):
        raise TypeError(f"clip must be a bool, not {type(clip).__name__}")
    return _C.fake_quantize(x, _any_format(format), **_rounding(mode, saturate, random_bits, variant, seed, stream,
                                                                  offset), clip=clip)


def update_stream(seed, step, tensor):
    """(seed, stream) of the optimizer steps' stochastic rounding of tensor ``tensor`` at ``step``
    (as the C++ sgd_step / adamw_step): stream = step * 2^20 + tensor."""
    return _C.update_stream(_int(seed, "seed", 0, _MAX_U64), _int(step, "step", 0, (1 << 44) - 1),
                            _int(tensor, "tensor", 0, (1 << 20) - 1))


from . import nn  # noqa: E402  (needs the names above)
