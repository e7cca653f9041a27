// Dense storage for sub-byte codes: `bits`-bit codes (1..8) back to back, least significant bit
// first. bits = 4 is the usual two codes per byte (element 2i in the low nibble, as ml_dtypes'
// and PyTorch's float4_e2m1fn_x2); bits = 6 puts four codes in three bytes. Unused high bits of
// the last byte are zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "bulk.hpp"

namespace precsim {
PRECSIM_BEGIN_CONFIG

// Bytes that `count` codes of `bits` bits take.
constexpr std::size_t packed_size(std::size_t count, int bits) noexcept {
  return (count * std::size_t(bits < 0 ? 0 : bits) + 7) / 8;
}

namespace detail {
inline void check_packing(const char* fn, int bits, std::size_t codes, std::size_t bytes) {
  if (bits < 1 || bits > 8) bulk_error(fn, "bits must be in 1..8, got " + std::to_string(bits));
  if (bytes != packed_size(codes, bits))
    bulk_error(fn, std::to_string(codes) + " codes of " + std::to_string(bits) + " bits take " +
                       std::to_string(packed_size(codes, bits)) + " bytes, the packed span has " +
                       std::to_string(bytes));
}
}  // namespace detail

// codes -> packed. Every code must fit in `bits` bits (else std::invalid_argument).
// (GCC 12 may inline this into a call whose size check throws and then warn about the stores of
// the path it cannot see is dead: -Wstringop-overflow is off here.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
inline void pack(std::span<const std::uint8_t> codes, std::span<std::uint8_t> packed, int bits) {
  detail::check_packing("pack", bits, codes.size(), packed.size());
  std::uint8_t over = 0;
  for (std::uint8_t c : codes) over |= std::uint8_t(c >> bits);
  if (over) detail::bulk_error("pack", "a code does not fit in " + std::to_string(bits) + " bits");
  const std::size_t n = codes.size();
  std::size_t i = 0, o = 0;
  if (bits == 4) {
    for (; i + 2 <= n; i += 2) packed[o++] = std::uint8_t(codes[i] | codes[i + 1] << 4);
  } else if (bits == 6) {
    for (; i + 4 <= n; i += 4, o += 3) {
      const std::uint32_t w = std::uint32_t(codes[i]) | std::uint32_t(codes[i + 1]) << 6 |
                              std::uint32_t(codes[i + 2]) << 12 | std::uint32_t(codes[i + 3]) << 18;
      packed[o] = std::uint8_t(w);
      packed[o + 1] = std::uint8_t(w >> 8);
      packed[o + 2] = std::uint8_t(w >> 16);
    }
  }
  // The general bit stream (and the tails of the fast loops above).
  std::uint32_t acc = 0;
  int filled = 0;
  for (; i < n; ++i) {
    acc |= std::uint32_t(codes[i]) << filled;
    filled += bits;
    while (filled >= 8) {
      packed[o++] = std::uint8_t(acc);
      acc >>= 8;
      filled -= 8;
    }
  }
  if (filled) packed[o] = std::uint8_t(acc);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// packed -> codes (codes.size() of them).
inline void unpack(std::span<const std::uint8_t> packed, std::span<std::uint8_t> codes, int bits) {
  detail::check_packing("unpack", bits, codes.size(), packed.size());
  const std::size_t n = codes.size();
  const std::uint8_t mask = std::uint8_t((1u << bits) - 1);
  std::size_t i = 0, o = 0;
  if (bits == 4) {
    for (; i + 2 <= n; i += 2, ++o) {
      codes[i] = packed[o] & 0xF;
      codes[i + 1] = std::uint8_t(packed[o] >> 4);
    }
  } else if (bits == 6) {
    for (; i + 4 <= n; i += 4, o += 3) {
      const std::uint32_t w = std::uint32_t(packed[o]) | std::uint32_t(packed[o + 1]) << 8 |
                              std::uint32_t(packed[o + 2]) << 16;
      for (unsigned k = 0; k < 4; ++k) codes[i + k] = std::uint8_t((w >> (6 * k)) & 0x3F);
    }
  }
  std::uint32_t acc = 0;
  int filled = 0;
  for (; i < n; ++i) {
    if (filled < bits) {
      acc |= std::uint32_t(packed[o++]) << filled;
      filled += 8;
    }
    codes[i] = std::uint8_t(acc & mask);
    acc >>= bits;
    filled -= bits;
  }
}

namespace detail {
// The code width of a packable format, after the same checks as pack/unpack.
inline int packed_bits(const char* fn, const float_format& f, std::size_t codes, std::size_t bytes) {
  validate(f);
  const int bits = storage_bits(f);
  if (bits > 8) bulk_error(fn, "packing needs a format of at most 8 bits");
  check_packing(fn, bits, codes, bytes);
  return bits;
}

// Calls step(first, count, packed bytes of those codes) over chunks of at most 4096 codes: a
// multiple of 8 codes, so every chunk starts on a byte boundary for every width.
template <class Bytes, class Step>
void for_packed_chunks(std::size_t n, int bits, std::span<Bytes> packed, Step&& step) {
  constexpr std::size_t chunk = 4096;
  for (std::size_t b = 0; b < n; b += chunk) {
    const std::size_t count = std::min(chunk, n - b);
    step(b, count, packed.subspan(b * std::size_t(bits) / 8, packed_size(count, bits)));
  }
}
}  // namespace detail

// Round straight into packed storage: storage_bits(f) <= 8 bits per code.
inline void encode_packed(std::span<const float> in, std::span<std::uint8_t> packed, const float_format& f,
                          const rounding& r = {}, sr_source src = {}) {
  const int bits = detail::packed_bits("encode_packed", f, in.size(), packed.size());
  const sr_stream s = detail::resolve_stream(src, r);
  std::uint8_t codes[4096];
  detail::for_packed_chunks(in.size(), bits, packed, [&](std::size_t b, std::size_t n, auto bytes) {
    encode(in.subspan(b, n), std::span<std::uint8_t>(codes, n), f, r, {s.seed, s.stream, s.offset + b});
    pack(std::span<const std::uint8_t>(codes, n), bytes, bits);
  });
}

inline void decode_packed(std::span<const std::uint8_t> packed, std::span<float> out, const float_format& f) {
  const int bits = detail::packed_bits("decode_packed", f, out.size(), packed.size());
  std::uint8_t codes[4096];
  detail::for_packed_chunks(out.size(), bits, packed, [&](std::size_t b, std::size_t n, auto bytes) {
    unpack(bytes, std::span<std::uint8_t>(codes, n), bits);
    decode(std::span<const std::uint8_t>(codes, n), out.subspan(b, n), f);
  });
}

PRECSIM_END_CONFIG
}  // namespace precsim
