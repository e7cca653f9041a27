// What the parts of the compiled kernels share (docs/build.md). Each part instantiates some of
// the span entry points, so that a parallel build compiles them side by side;
// src/precsim_kernels.cpp holds them all in one unit.
#pragma once
#ifndef PRECSIM_SEPARATE_KERNELS
#define PRECSIM_SEPARATE_KERNELS
#endif
#define PRECSIM_KERNELS_SOURCE
#include <precsim/precsim.hpp>

#define PRECSIM_DEFINE_ROUND(T, Out)                                                              \
  void bulk_round(const char* fn, std::span<const T> in, std::span<Out> out, const float_format& f, \
                  const rounding& r, const sr_stream& s) {                                        \
    detail::bulk_round(fn, in, out, f, r, s);                                                     \
  }
