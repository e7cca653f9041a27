// The instruction-set levels this CPU runs (plus the 16-lane AVX-512 layout emulated at the
// portable level), and a scope that selects one with a thread count: for suites that check the
// bulk paths bit for bit on every level.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <precsim/bulk.hpp>

// The 16-lane layout exists only where the kernels were compiled with it (tests/CMakeLists.txt sets
// it for the tests and the compiled kernels they link).
#if !PRECSIM_TEST_LANES16
#error "tests/levels.hpp needs PRECSIM_TEST_LANES16=1"
#endif

namespace test {
using namespace precsim;

struct level_config {
  std::string name;
  simd_level level;
  bool wide16;
};

std::vector<level_config> levels() {
  std::vector<level_config> out{{"scalar", simd_level::scalar, false}};
  if (simd_level_supported(simd_level::portable)) {
    out.push_back({"portable", simd_level::portable, false});
    out.push_back({"portable-16-lanes", simd_level::portable, true});
  }
  for (auto l : {simd_level::avx2, simd_level::avx512})
    if (simd_level_supported(l)) out.push_back({to_string(l), l, false});
  return out;
}

// Sets level, lane layout and threads for a scope (threshold 0: 2 threads really split).
struct scoped_config {
  simd_level saved_level = active_simd_level();
  unsigned saved_threads = max_threads();
  std::size_t saved_threshold = parallel_threshold();
  scoped_config(const level_config& c, unsigned threads) {
    set_simd_level(c.level);
    shared::wide16_for_tests = c.wide16;
    set_max_threads(threads);
    set_parallel_threshold(0);
  }
  ~scoped_config() {
    set_simd_level(saved_level);
    shared::wide16_for_tests = false;
    set_max_threads(saved_threads);
    set_parallel_threshold(saved_threshold);
  }
};

}  // namespace test
