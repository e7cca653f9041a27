// Threads for bulk calls: large spans are split over std::threads, small ones stay on the
// calling thread. Results never depend on the split (each element's rounding depends only on
// its value and absolute index), so these settings change speed, not bits.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#include "config.hpp"

namespace precsim {

// Process-wide settings, one object for every build configuration. Variables, not functions:
// constant-initialized data has no code that a TU built with other flags could lend.
namespace shared {
inline std::atomic<unsigned> thread_setting{0};  // 0: not set, use the default
inline std::atomic<std::size_t> threshold_setting{std::size_t{1} << 20};
}  // namespace shared

PRECSIM_BEGIN_CONFIG
namespace detail {

// CPUs this process may run on: the affinity mask and, on Linux, a cgroup v2 CPU quota
// (containers), else the hardware count; at least 1. Read once.
inline unsigned available_cpus() noexcept {
  static const unsigned cpus = [] {
    unsigned n = std::thread::hardware_concurrency();
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
      n = unsigned(CPU_COUNT(&set));
    if (std::FILE* f = std::fopen("/sys/fs/cgroup/cpu.max", "r")) {
      char quota[32] = {};
      long long period = 0;
      if (std::fscanf(f, "%31s %lld", quota, &period) == 2 && period > 0) {
        const long long q = std::strtoll(quota, nullptr, 10);  // "max": no limit, reads as 0
        if (q > 0) {
          const long long limit = (q + period - 1) / period;
          if (limit < (long long)n || n == 0) n = unsigned(limit);
        }
      }
      std::fclose(f);
    }
#endif
    return n ? n : 1u;
  }();
  return cpus;
}

// Most threads a call may use: 4 per available CPU (more only adds start-up cost).
inline unsigned thread_cap() noexcept { return 4 * available_cpus(); }

// PRECSIM_THREADS (capped), else the available CPUs. Read once.
inline unsigned default_threads() noexcept {
  static const unsigned threads = [] {
    if (const char* env = std::getenv("PRECSIM_THREADS")) {
      const long n = std::strtol(env, nullptr, 10);
      if (n > 0) return n < long(thread_cap()) ? unsigned(n) : thread_cap();
    }
    return available_cpus();
  }();
  return threads;
}

}  // namespace detail

// Most threads one bulk call uses (default: PRECSIM_THREADS, else the CPUs this process may use:
// affinity mask and cgroup quota). Capped at 4 per available CPU. 1 turns threading off; 0
// restores the default.
inline void set_max_threads(unsigned n) noexcept {
  shared::thread_setting = n < detail::thread_cap() ? n : detail::thread_cap();
}
inline unsigned max_threads() noexcept {
  const unsigned n = shared::thread_setting;
  return n ? n : detail::default_threads();
}

// Spans with fewer elements than this run on the calling thread (default 2^20: below that,
// starting threads costs more than it saves).
inline void set_parallel_threshold(std::size_t elements) noexcept {
  shared::threshold_setting = elements;
}
inline std::size_t parallel_threshold() noexcept { return shared::threshold_setting; }

namespace detail {
// Calls body(begin, end) over [0, n) in up to max_threads() pieces, the first on this thread.
// Piece boundaries fall on multiples of 64 elements so that vector loops see whole groups.
// Where a thread cannot be started, the calling thread runs that piece itself. Below `threshold`
// elements, one piece.
template <class Body>
void parallel_for(std::size_t n, Body&& body, std::size_t threshold = parallel_threshold()) {
  const unsigned threads = max_threads();
  if (threads <= 1 || n < threshold || n < 2 * 64) {
    body(std::size_t{0}, n);
    return;
  }
  const std::size_t pieces = threads < n / 64 ? threads : n / 64;
  const std::size_t step = ((n + pieces - 1) / pieces + 63) & ~std::size_t{63};
  std::vector<std::thread> workers;
  try {
    workers.reserve(pieces - 1);
  } catch (...) {  // no memory for the handles: no threads
    for (std::size_t begin = 0; begin < n; begin += step) body(begin, n - begin < step ? n : begin + step);
    return;
  }
  for (std::size_t begin = step; begin < n; begin += step) {
    const std::size_t end = n - begin < step ? n : begin + step;
    try {
      workers.emplace_back([&body, begin, end] { body(begin, end); });
    } catch (...) {  // std::system_error: resource limit; run the piece here
      body(begin, end);
    }
  }
  body(std::size_t{0}, step < n ? step : n);
  for (auto& w : workers) w.join();
}
}  // namespace detail
PRECSIM_END_CONFIG

}  // namespace precsim
