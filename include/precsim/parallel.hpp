// Threads for bulk calls: large spans are split into chunks that a persistent pool of worker
// threads and the calling thread take in turn; small ones stay on the calling thread. Results
// never depend on the split (each element's rounding depends only on its value and absolute
// index), so these settings change speed, not bits. One call at a time uses the pool: a call made
// while another runs (another thread's, or nested inside a chunk or an OpenMP parallel region)
// runs on its own thread. set_executor hands the chunks to the caller's threads instead.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <dlfcn.h>
#include <sched.h>
#endif

#include "config.hpp"

namespace precsim {

// Process-wide settings, one object for every build configuration. Variables, not functions:
// constant-initialized data has no code that a TU built with other flags could lend.
// The caller's own threads for bulk calls: exec(chunks, run) must call run(k) exactly once for
// every k in [0, chunks), from any threads, concurrently or not, and return when all have
// returned. run never throws.
using executor = std::function<void(std::size_t chunks, const std::function<void(std::size_t)>& run)>;

namespace shared {
inline std::atomic<unsigned> thread_setting{0};  // 0: not set, use the default
inline std::atomic<std::size_t> threshold_setting{std::size_t{1} << 20};
inline std::atomic<bool> parallel_busy{false};  // a call is using threads (one at a time)
inline std::mutex executor_mutex;
inline std::shared_ptr<const executor> executor_setting;  // null: the built-in pool
inline std::atomic<std::uint64_t> pool_threads_started{0};  // (tests)
// This thread is running a chunk of a bulk call (any configuration's): its calls stay serial.
inline thread_local bool in_parallel_chunk = false;
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

// Runs the chunks of large bulk calls on the caller's threads (a task system, a TBB arena, an
// OpenMP team) instead of precsim's pool; an empty executor restores the pool. Results stay the same
// bits whatever runs the chunks.
inline void set_executor(executor e) {
  std::shared_ptr<const executor> p = e ? std::make_shared<const executor>(std::move(e)) : nullptr;
  std::lock_guard<std::mutex> lock(shared::executor_mutex);
  shared::executor_setting = std::move(p);
}

namespace detail {
// True inside an active OpenMP parallel region of a program linked with an OpenMP runtime (looked
// up at run time, so precsim needs no OpenMP flag and no omp.h).
inline bool in_openmp_parallel() noexcept {
#if defined(__linux__) && !defined(__CUDACC__)
  using fn = int (*)();
  static const fn omp_in_parallel = reinterpret_cast<fn>(dlsym(RTLD_DEFAULT, "omp_in_parallel"));
  return omp_in_parallel && omp_in_parallel() != 0;
#else
  return false;
#endif
}

// The built-in pool: workers sleep until a call posts a job, then take chunks from its atomic
// counter with the caller. The caller waits only for chunks a worker has already taken, so a
// worker that is slow to wake (a busy machine) costs at most one chunk, never the whole piece.
class thread_pool {
 public:
  struct job {
    const std::function<void(std::size_t)>* run;
    std::size_t chunks;
    std::atomic<std::size_t> next{0};
  };

  // Runs every chunk of j, on this thread and up to `helpers` workers.
  void run(job& j, unsigned helpers) {
    grow(helpers);
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = &j;
      wanted_ = helpers;
      ++generation_;
    }
    wake_.notify_all();
    struct finish {  // (also if a chunk throws: no worker may still read j afterwards)
      thread_pool& p;
      ~finish() {
        std::unique_lock<std::mutex> lock(p.m_);
        p.job_ = nullptr;  // late wakers find no job
        p.done_.wait(lock, [&] { return p.users_ == 0; });
      }
    } f{*this};
    take_chunks(j);
  }

 private:
  static void take_chunks(job& j) {
    for (std::size_t k; (k = j.next.fetch_add(1, std::memory_order_relaxed)) < j.chunks;) (*j.run)(k);
  }

  void grow(unsigned helpers) {
    while (workers_.size() < helpers) {
      try {
        workers_.emplace_back([this] { work(); });
        ++shared::pool_threads_started;
      } catch (...) {  // std::system_error: resource limit; the caller does the work
        return;
      }
    }
  }

  void work() {
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(m_);
    const std::size_t index = started_++;
    for (;;) {
      wake_.wait(lock, [&] { return generation_ != seen && job_ && index < wanted_; });
      seen = generation_;
      job* j = job_;
      ++users_;
      lock.unlock();
      take_chunks(*j);
      lock.lock();
      if (--users_ == 0) done_.notify_all();
    }
  }

  std::mutex m_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;  // (grown only by the caller holding parallel_busy)
  job* job_ = nullptr;
  std::uint64_t generation_ = 0;
  unsigned wanted_ = 0, users_ = 0;
  std::size_t started_ = 0;
};

// Never destroyed: its workers sleep until the process ends (no join at exit, none in a forked
// child, where they do not exist and the caller takes every chunk).
inline thread_pool& pool() {
  static thread_pool* p = new thread_pool;
  return *p;
}

// Calls body(begin, end) over [0, n) in chunks whose boundaries fall on multiples of `grain`
// (4096 elements: vector loops and measure's blocks see whole groups), on up to max_threads()
// threads. Below `threshold` elements, in one piece on this thread; also when threads are busy
// with another call, inside a chunk of one, or inside an OpenMP parallel region (no
// oversubscription).
template <class Body>
void parallel_for(std::size_t n, Body&& body, std::size_t threshold = parallel_threshold(), std::size_t grain = 4096) {
  const unsigned threads = max_threads();
  if (threads <= 1 || n < threshold || n < 2 * grain || shared::in_parallel_chunk || in_openmp_parallel()) {
    body(std::size_t{0}, n);
    return;
  }
  std::shared_ptr<const executor> exec;
  {
    std::lock_guard<std::mutex> lock(shared::executor_mutex);
    exec = shared::executor_setting;
  }
  // About 8 chunks per thread (a thread slow to start costs one), at least 4 grains when the span
  // has 8, on grain boundaries.
  std::size_t chunk = n / (8 * std::size_t{threads});
  const std::size_t least = n >= 8 * grain ? 4 * grain : grain;
  chunk = (chunk < least ? least : chunk + grain - 1) / grain * grain;
  const std::size_t chunks = (n + chunk - 1) / chunk;
  const std::function<void(std::size_t)> run = [&](std::size_t k) {
    const bool outer = shared::in_parallel_chunk;
    shared::in_parallel_chunk = true;  // calls made by the chunk stay on its thread
    body(k * chunk, n - k * chunk < chunk ? n : (k + 1) * chunk);
    shared::in_parallel_chunk = outer;
  };
  if (exec) {
    (*exec)(chunks, run);
    return;
  }
  bool expected = false;
  if (!shared::parallel_busy.compare_exchange_strong(expected, true)) {  // another call has the pool
    body(std::size_t{0}, n);
    return;
  }
  struct release {
    ~release() { shared::parallel_busy = false; }
  } r;
  thread_pool::job j{&run, chunks};
  pool().run(j, unsigned(chunks - 1 < threads - 1 ? chunks - 1 : threads - 1));
}
}  // namespace detail
PRECSIM_END_CONFIG

}  // namespace precsim
