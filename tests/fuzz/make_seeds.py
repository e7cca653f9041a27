#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (layouts in corpus/README.md)."""
import math, os, struct

here = os.path.dirname(os.path.abspath(__file__))

def fmt_round(e, m, bias_delta, unsigned=False, subn=0, specials=0, inf=False, ov=0):
    flags = (1 if unsigned else 0) | subn << 1 | specials << 3 | (64 if inf else 0)
    return bytes([e, m + 1, bias_delta + 4, flags, ov])

def rnd(mode, sat=0, bits=0, variant=2, shift=1):
    return bytes([mode, sat, bits + shift, variant])

def floats(*xs):
    return b''.join(struct.pack('<f', x) for x in xs)

edge = floats(0.3, 448.0, 464.0, 500.0, -1e-30, float('nan'), float('inf'), -float('inf'), 1e-3,
              -0.0, 0.0, 65504.0, 65520.0, 2.0**-24, 3 * 2.0**-25, 1e30, -3.0, 0.1, 6.0, 7.0)
stream = struct.pack('<QQQI', 0x0123456789ABCDEF, 42, 7, 5)
round_seeds = {
    'e4m3fn_nearest': fmt_round(4, 3, 0, specials=1, ov=1) + rnd(0) + stream + edge,
    'bf16_stochastic': fmt_round(8, 7, 0) + rnd(6, 0, 0) + stream + edge,
    'bf16_stochastic_8bits_a': fmt_round(8, 7, 0) + rnd(6, 0, 8, 0) + stream + edge,
    'fp16_toward_negative': fmt_round(5, 10, 0) + rnd(4) + stream + edge,
    'binary8p3ue_to_odd': fmt_round(6, 2, 1, unsigned=True, specials=1, inf=True) + rnd(5) + stream + edge,
    'binary8p3se_to_odd': fmt_round(5, 2, 1, specials=2, inf=True) + rnd(5) + stream + edge,
    'e2m1_finite': fmt_round(2, 1, 0, specials=3) + rnd(0, 1) + stream + edge,
    'e8m0_nearest': fmt_round(8, 0, 0, unsigned=True, subn=2, specials=1, ov=1) + rnd(0) + stream + edge,
    'flush_toward_zero': fmt_round(5, 10, 0, subn=1) + rnd(2, 2) + stream + edge,
    'invalid_exponent_bits': fmt_round(12, 3, 0) + rnd(0) + stream + edge,
    'invalid_mode': fmt_round(4, 3, 0) + rnd(7) + stream + edge,
}

def arith(e, m, bias_delta, flags, mode, sat, bits, variant, word, op, kinds, a, b, c):
    return (bytes([e - 1, m, bias_delta + 4, flags, mode, sat, bits, variant]) + struct.pack('<Q', word) +
            bytes([op, kinds]) + struct.pack('<ddd', a, b, c))

arith_seeds = {
    'e4m3fn_add_codes': bytes([3, 3, 4, 8 | 128, 0, 0, 0, 2]) + struct.pack('<Q', 0) + bytes([0, 0]) +
                        struct.pack('<QQQ', 0x3A, 0x41, 0x12),
    'f32_twosum': arith(8, 23, 0, 0, 0, 0, 0, 2, 0, 0, 7, 1.0, 2.0**-24 + 2.0**-76, 0.0),
    'f32_div_toward_zero': arith(8, 23, 0, 0, 2, 0, 0, 2, 0, 3, 7, 1.0, 3.0, 0.0),
    'bf16_sqrt_stochastic': arith(8, 7, 0, 0, 6, 0, 0, 2, 0x9E3779B97F4A7C15, 4, 7, 2.0, 0.0, 0.0),
    'fma_cancel': arith(11, 40, 0, 0, 4, 0, 0, 2, 0, 5, 7, 1.0 + 2.0**-30, 1.0 - 2.0**-30, -1.0),
    'p3109_unsigned_sub': arith(6, 2, 1, 1 | 8 | 64, 0, 0, 0, 2, 0, 1, 7, 1.0, 3.0, 0.0),
    'nan_inf_operands': arith(5, 10, 0, 0, 0, 1, 0, 2, 0, 2, 7, float('inf'), 0.0, float('nan')),
}

for name, seeds in (('round', round_seeds), ('arith', arith_seeds)):
    os.makedirs(os.path.join(here, 'corpus', name), exist_ok=True)
    for seed, blob in seeds.items():
        with open(os.path.join(here, 'corpus', name, seed), 'wb') as f:
            f.write(blob)
