// Which rounding the value types (floatx, intx) use, and where stochastic rounding's random
// words come from. Each type names a default rounding (a template argument); a rounding_scope
// overrides it for every value type on the calling thread while it lives. Stochastic rounding
// draws word j = stream.offset + (number of stochastic roundings so far) of a counter-based
// Philox stream (random_u64), so a run is reproducible from its seed and independent of
// anything other threads do.
#pragma once

#include <cstdint>
#include <type_traits>

#include "random.hpp"
#include "rounding.hpp"

namespace precsim {
namespace detail {

struct policy_state {
  bool overridden = false;
  rounding r{};
  sr_stream stream{};
  std::uint64_t drawn = 0;  // random words used so far from `stream`
};

inline policy_state& thread_policy() noexcept {
  thread_local policy_state state;
  return state;
}

struct active_policy {
  rounding r;
  std::uint64_t random;  // the word for this rounding (stochastic only; else 0)
};

// What one rounding of a type whose own rounding is R uses: the scope's rounding or R, and for
// stochastic rounding the stream's next word (only stochastic roundings advance the stream).
// Constant evaluation (no thread state) uses R with word 0.
constexpr active_policy take_policy(const rounding& type_rounding) noexcept {
  if (std::is_constant_evaluated()) return {type_rounding, 0};
  policy_state& s = thread_policy();
  const rounding r = s.overridden ? s.r : type_rounding;
  if (r.mode != round_mode::stochastic) return {r, 0};
  return {r, random_u64(s.stream, s.stream.offset + s.drawn++)};
}

}  // namespace detail

// While alive, every floatx/intx rounding on this thread uses `r` instead of its type's
// rounding, and stochastic rounding draws from `stream` starting at its offset. Scopes nest; the
// destructor restores the enclosing rounding and stream position.
class rounding_scope {
 public:
  explicit rounding_scope(const rounding& r, const sr_stream& stream = {}) noexcept
      : saved_(detail::thread_policy()) {
    detail::thread_policy() = {true, r, stream, 0};
  }
  rounding_scope(const rounding_scope&) = delete;
  rounding_scope& operator=(const rounding_scope&) = delete;
  ~rounding_scope() { detail::thread_policy() = saved_; }

 private:
  detail::policy_state saved_;
};

// Restarts this thread's stochastic-rounding stream (used outside any rounding_scope, by types
// whose own rounding is stochastic). Each thread starts with seed 0, stream 0, offset 0.
inline void set_sr_stream(const sr_stream& stream) noexcept {
  detail::policy_state& s = detail::thread_policy();
  s.stream = stream;
  s.drawn = 0;
}

}  // namespace precsim
