// Benchmarks: a fixed thread count for a scope, with the parallel threshold at 0 so that every
// call really splits (restored afterwards).
#pragma once

#include <cstddef>

#include <precsim/parallel.hpp>

struct threads_scope {
  unsigned saved = precsim::max_threads();
  std::size_t saved_threshold = precsim::parallel_threshold();
  explicit threads_scope(unsigned t) {
    precsim::set_max_threads(t);
    precsim::set_parallel_threshold(0);
  }
  ~threads_scope() {
    precsim::set_max_threads(saved);
    precsim::set_parallel_threshold(saved_threshold);
  }
};
