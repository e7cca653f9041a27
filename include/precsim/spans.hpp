// Spans of value types in the bulk API: a std::vector<bfloat16> (any contiguous range of one floatx
// type) as the output of quantize / encode and the input of decode, at bulk speed, and the raw
// codes of such a range without a copy.
//
//   std::vector<precsim::bfloat16> w(n);
//   precsim::encode(x, w);                  // == bfloat16(x[i]) with the type's rounding, every i
//   precsim::decode(w, y);                  // y[i] = float(w[i])
//   std::span<const std::uint16_t> c = precsim::codes(std::as_const(w));
//
// The rounding is the call's (default: the type's own); a rounding_scope does not apply to bulk
// calls. Stochastic rounding takes its words as the other span calls do (random.hpp).
#pragma once

#include <cstdint>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>

#include "bulk.hpp"
#include "floatx.hpp"

namespace precsim {
namespace detail {
template <class T>
struct is_floatx : std::false_type {};
template <float_format F, rounding R>
struct is_floatx<floatx<F, R>> : std::true_type {};

// A contiguous range of one floatx type; const_ok: read-only ranges too.
template <class Range, bool const_ok>
concept floatx_range = std::ranges::contiguous_range<Range> &&
                       is_floatx<std::remove_cv_t<std::ranges::range_value_t<Range>>>::value &&
                       (const_ok || !std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<Range>>>);

template <class Range>
using floatx_of = std::remove_cv_t<std::ranges::range_value_t<Range>>;
}  // namespace detail

PRECSIM_BEGIN_CONFIG

// The codes of a range of floatx values (same memory: a floatx is exactly its code).
template <class Range>
  requires detail::floatx_range<Range, true>
auto codes(Range&& values) noexcept {
  using T = detail::floatx_of<Range>;
  using code = std::conditional_t<std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<Range>>>,
                                  const typename T::code_type, typename T::code_type>;
  static_assert(sizeof(T) == sizeof(typename T::code_type) && std::is_standard_layout_v<T>);
  return std::span<code>(reinterpret_cast<code*>(std::ranges::data(values)), std::ranges::size(values));
}

// out[i] = in[i] rounded to out's format with r (default: out's type's rounding), the bits of
// encode(in, codes(out), format, r, s).
#define PRECSIM_VALUE_SPANS(T)                                                                      \
  template <class Out>                                                                             \
    requires detail::floatx_range<Out, false>                                                      \
  void encode(std::span<const T> in, Out&& out, const rounding& r = detail::floatx_of<Out>::default_rounding, \
              sr_source s = {}) {                                                                  \
    encode(in, codes(out), detail::floatx_of<Out>::format, r, s);                                  \
  }                                                                                                \
  template <class Out> /* the same, under the fake-quantization name */                            \
    requires detail::floatx_range<Out, false>                                                      \
  void quantize(std::span<const T> in, Out&& out, const rounding& r = detail::floatx_of<Out>::default_rounding, \
                sr_source s = {}) {                                                                \
    encode(in, codes(out), detail::floatx_of<Out>::format, r, s);                                  \
  }                                                                                                \
  template <class In>                                                                              \
    requires detail::floatx_range<In, true>                                                        \
  void decode(In&& in, std::span<T> out) {                                                         \
    decode(codes(std::as_const(in)), out, detail::floatx_of<In>::format);                          \
  }
PRECSIM_VALUE_SPANS(float)
PRECSIM_VALUE_SPANS(double)
#undef PRECSIM_VALUE_SPANS

PRECSIM_END_CONFIG
}  // namespace precsim
