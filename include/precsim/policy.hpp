// Which rounding the value types (floatx, intx) use, and where stochastic rounding's random
// words come from. Each type names a default rounding (a template argument); a rounding_scope
// overrides it for every value type on the calling thread while it lives. Stochastic rounding
// draws word j = stream.offset + (number of stochastic roundings so far) of a counter-based
// Philox stream (random_u64), so a run is reproducible from its seed and independent of
// anything other threads do.
#pragma once

#include <cstdint>
#include <type_traits>
#if defined(__CUDACC__)
#include <cstdio>  // device code's message before a trap
#endif

#include "random.hpp"
#include "rounding.hpp"
#include "simd/philox.hpp"
#if defined(__SSE2__) && !defined(__CUDA_ARCH__)
#include <emmintrin.h>
#endif

namespace precsim {

// Where a rounding_scope's saturation comes from: the type's own rounding (default: a saturating
// type stays saturating under a stochastic scope) or the scope's.
enum class scope_saturation : std::uint8_t { from_type, from_scope };

namespace shared {  // process-wide state (see parallel.hpp)

struct policy_state {
  bool overridden = false;
  rounding r{};
  scope_saturation saturation = scope_saturation::from_type;
  sr_stream stream{};
  std::uint64_t drawn = 0;  // random words used so far from `stream`
  bool stream_set = false;  // false: the first stochastic rounding claims a default stream
};

inline thread_local policy_state thread_policy{};

// The value types' random words, a batch of 32 at a time (random_u64_batch): words depend only
// on (seed, stream, index), so a batch stays valid for as long as its key matches.
struct random_cache {
  std::uint64_t seed = 0, stream = 0, batch = ~std::uint64_t{0};
  std::uint64_t words[32]{};
};
inline thread_local random_cache thread_random{};

}  // namespace shared

PRECSIM_BEGIN_CONFIG
namespace detail {

// random_u64(stream, j), from this thread's batch cache.
#if !PRECSIM_DEVICE_PASS
PRECSIM_NOINLINE inline void refill_random(const sr_stream& stream, std::uint64_t batch) noexcept {
  shared::random_cache& c = shared::thread_random;
  random_u64_batch(stream, batch, c.words);
  c.seed = stream.seed;
  c.stream = stream.stream;
  c.batch = batch;
}
inline std::uint64_t cached_random_u64(const sr_stream& stream, std::uint64_t j) noexcept {
  const shared::random_cache& c = shared::thread_random;
  if (c.batch != j >> 5 || c.seed != stream.seed || c.stream != stream.stream) refill_random(stream, j >> 5);
  return c.words[j & 31];
}
#endif

struct active_policy {
  rounding r;
  std::uint64_t random;  // the word for this rounding (stochastic only; else 0)
};

// Whether a rounding of a type whose own rounding is R is R itself, without a random word: R is
// deterministic and no scope is active (so the value types keep R a compile-time constant; the
// rounding take_policy would build at run time costs a store-forwarding stall per operation).
PRECSIM_HD constexpr bool policy_is_type(const rounding& type_rounding) noexcept {
#if PRECSIM_DEVICE_PASS
  return type_rounding.mode != round_mode::stochastic;
#else
  return type_rounding.mode != round_mode::stochastic &&
         (std::is_constant_evaluated() || !shared::thread_policy.overridden);
#endif
}

// What one rounding of a type whose own rounding is R uses: the scope's rounding (with the
// type's saturation unless the scope says otherwise) or R, and for stochastic rounding the
// stream's next word (only stochastic roundings advance the stream). Constant evaluation (no
// thread state) uses R with word 0; so does device code (docs/cuda.md).
PRECSIM_HD constexpr active_policy take_policy(const rounding& type_rounding) noexcept {
#if PRECSIM_DEVICE_PASS
  // Device code has no scopes and no per-thread stream: the type's own rounding, and stochastic
  // types stop the kernel rather than draw the same word every time (docs/cuda.md).
  if (type_rounding.mode == round_mode::stochastic) {
    printf("precsim: a stochastic floatx/intx rounded in device code; round with "
           "precsim::quantize(x, F, r, random_u32(stream, i)) there\n");
    __trap();
  }
  return {type_rounding, 0};
#else
  if (std::is_constant_evaluated()) return {type_rounding, 0};
  shared::policy_state& s = shared::thread_policy;
  // (built whole: changing one field of a copy in memory stalls the copy's next load)
  const rounding r = !s.overridden ? type_rounding
                     : rounding(s.r.mode, s.saturation == scope_saturation::from_type ? type_rounding.saturate : s.r.saturate,
                                s.r.random_bits, s.r.variant);
  if (r.mode != round_mode::stochastic) return {r, 0};
  if (!s.stream_set) s = {s.overridden, s.r, s.saturation, next_default_sr_stream(), 0, true};
  return {r, cached_random_u64(s.stream, s.stream.offset + s.drawn++)};
#endif
}

}  // namespace detail

// Restarts this thread's stochastic-rounding stream (used outside any rounding_scope, by types
// whose own rounding is stochastic). A thread that never sets one gets a default stream of its
// own (random.hpp) at its first stochastic rounding: threads never share random words, and a
// single-threaded program draws the same words on every run.
inline void set_sr_stream(const sr_stream& stream) noexcept {
  shared::policy_state& s = shared::thread_policy;
  s.stream = stream;
  s.drawn = 0;
  s.stream_set = true;
}
PRECSIM_END_CONFIG

// A thread's rounding (its innermost rounding_scope, or none) and stream position, captured to
// hand to worker threads, since scopes and streams are thread-local (docs/random.md).
struct rounding_context {
  shared::policy_state state;
};

PRECSIM_BEGIN_CONFIG
// This thread's rounding context (claims this thread's default stream if it has none yet).
inline rounding_context current_rounding_context() noexcept {
  shared::policy_state& s = shared::thread_policy;
  if (!s.stream_set) s = {s.overridden, s.r, s.saturation, next_default_sr_stream(), 0, true};
  return {s};
}
PRECSIM_END_CONFIG

// While alive, every floatx/intx rounding on this thread uses `r`'s mode, random bits and
// variant instead of its type's, and stochastic rounding draws from `stream` starting at its
// offset. The saturation stays the type's unless `saturation` is from_scope. Scopes nest; the
// destructor restores the enclosing rounding and stream position. A scope is thread-local: work
// handed to other threads (std::thread, OpenMP) needs a scope of its own on each of them.
//
// rounding_scope(context, k) on worker thread k: the value types round as on the thread that
// captured the context, and stochastic rounding draws from the context's stream starting
// 2^40 (k + 1) words past the captured position, so workers never share words with each other or
// (for 2^40 draws) with the capturing thread.
class rounding_scope {
 public:
  PRECSIM_CONFIG_FN explicit rounding_scope(const rounding& r, const sr_stream& stream = {},
                                            scope_saturation saturation = scope_saturation::from_type) noexcept
      : saved_(shared::thread_policy) {
    shared::thread_policy = {true, r, saturation, stream, 0, true};
  }
  PRECSIM_CONFIG_FN rounding_scope(const rounding_context& context, std::uint64_t worker) noexcept
      : saved_(shared::thread_policy) {
    shared::policy_state s = context.state;
    s.stream.offset += s.drawn + (worker + 1) * (std::uint64_t{1} << 40);
    s.drawn = 0;
    shared::thread_policy = s;
  }
  // Not copyable (nor movable). Declared with a non-const reference so that a braced mode,
  // rounding_scope({round_mode::toward_zero}), is not also read as a copy of a temporary scope.
  rounding_scope(rounding_scope&) = delete;
  rounding_scope& operator=(const rounding_scope&) = delete;
  PRECSIM_CONFIG_FN ~rounding_scope() { shared::thread_policy = saved_; }

 private:
  shared::policy_state saved_;
};

}  // namespace precsim
