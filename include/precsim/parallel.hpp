// Threads for bulk calls: large spans are split over std::threads, small ones stay on the
// calling thread. Results never depend on the split (each element's rounding depends only on
// its value and absolute index), so these settings change speed, not bits.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <thread>
#include <vector>

namespace precsim {

namespace detail {
inline unsigned default_threads() noexcept {
  if (const char* env = std::getenv("PRECSIM_THREADS")) {
    const long n = std::strtol(env, nullptr, 10);
    if (n > 0) return unsigned(n);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? hw : 1;
}
inline std::atomic<unsigned>& thread_setting() noexcept {
  static std::atomic<unsigned> n{default_threads()};
  return n;
}
inline std::atomic<std::size_t>& threshold_setting() noexcept {
  static std::atomic<std::size_t> n{std::size_t{1} << 20};
  return n;
}
}  // namespace detail

// Most threads one bulk call uses (default: PRECSIM_THREADS, else the hardware's count).
// 1 turns threading off; 0 restores the default.
inline void set_max_threads(unsigned n) noexcept {
  detail::thread_setting() = n ? n : detail::default_threads();
}
inline unsigned max_threads() noexcept { return detail::thread_setting(); }

// Spans with fewer elements than this run on the calling thread (default 2^20: below that,
// starting threads costs more than it saves).
inline void set_parallel_threshold(std::size_t elements) noexcept {
  detail::threshold_setting() = elements;
}
inline std::size_t parallel_threshold() noexcept { return detail::threshold_setting(); }

namespace detail {
// Calls body(begin, end) over [0, n) in up to max_threads() pieces, the first on this thread.
// Piece boundaries fall on multiples of 64 elements so that vector loops see whole groups.
template <class Body>
void parallel_for(std::size_t n, Body&& body) {
  const unsigned threads = max_threads();
  if (threads <= 1 || n < parallel_threshold() || n < 2 * 64) {
    body(std::size_t{0}, n);
    return;
  }
  const std::size_t pieces = threads < n / 64 ? threads : n / 64;
  const std::size_t step = ((n + pieces - 1) / pieces + 63) & ~std::size_t{63};
  std::vector<std::thread> workers;
  workers.reserve(pieces - 1);
  for (std::size_t begin = step; begin < n; begin += step) {
    const std::size_t end = n - begin < step ? n : begin + step;
    workers.emplace_back([&body, begin, end] { body(begin, end); });
  }
  body(std::size_t{0}, step < n ? step : n);
  for (auto& w : workers) w.join();
}
}  // namespace detail

}  // namespace precsim
