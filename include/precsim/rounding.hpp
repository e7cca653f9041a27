// Rounding options: how a value is projected onto a format (mode, incl. the P3109 stochastic
// variants) and what happens on overflow (saturation). Policies travel with each conversion;
// the format only describes the encoding (formats.md, "Rounding" and "Overflow").
#pragma once

#include <cstdint>

namespace precsim {

enum class round_mode : std::uint8_t {
  nearest_even,     // ties to the even code (IEEE default)
  nearest_away,     // ties away from zero
  toward_zero,
  toward_positive,
  toward_negative,
  to_odd,           // truncate, then force the last bit to 1 if inexact (safe double rounding)
  stochastic,       // away from zero with probability ~ the discarded fraction (see sr_variant)
};

enum class saturation : std::uint8_t {
  none,       // IEEE/OCP non-saturating: overflow gives the format's overflow value
  finite,     // OCP saturating / CUDA satfinite: clamp to +-max finite, infinities too
  propagate,  // P3109 SatPropagate: finite overflow clamps, infinities stay where representable
};

// P3109 stochastic rounding variants with N random bits R (formats.md): the discarded fraction v
// is reduced to N bits by floor (a), round-half-up (b) or round-half-even (c), then rounded
// away iff that + R >= 2^N.
enum class sr_variant : std::uint8_t { a, b, c };

struct rounding {
  constexpr rounding() noexcept = default;
  // From a mode alone too, so that a round_mode can be passed where a rounding is expected
  // (quantize(x, f, round_mode::toward_zero)).
  constexpr rounding(round_mode m, saturation s = saturation::none, int bits = 0, sr_variant v = sr_variant::c) noexcept
      : mode(m), saturate(s), random_bits(bits), variant(v) {}

  round_mode mode = round_mode::nearest_even;
  saturation saturate = saturation::none;
  // Stochastic only: R is the low random_bits bits of the caller's random word. 0 means exact
  // proportional rounding: as many bits as the rounding discards (at most 64).
  int random_bits = 0;
  sr_variant variant = sr_variant::c;

  friend constexpr bool operator==(const rounding&, const rounding&) = default;
};

}  // namespace precsim
