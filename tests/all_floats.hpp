// Runs a predicate over all 2^32 binary32 bit patterns on every hardware thread; returns how
// many failed.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace test {

template <class Body>
inline std::uint64_t parallel_all_floats(Body body) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<std::uint64_t> bad{0};
  std::vector<std::thread> pool;
  const std::uint64_t total = std::uint64_t{1} << 32, chunk = total / threads;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      const std::uint64_t end = t + 1 == threads ? total : (t + 1) * chunk;
      std::uint64_t local = 0;
      for (std::uint64_t b = t * chunk; b < end; ++b) local += body(std::uint32_t(b)) ? 0 : 1;
      bad += local;
    });
  for (auto& th : pool) th.join();
  return bad;
}

}  // namespace test
