// Must fail to compile: a descriptor with a bad field used as a compile-time format.
// (Built with -DPRECSIM_VALID_CONTROL it must compile, so the failure is the descriptor's.)
#include <precsim/format.hpp>

template <precsim::float_format F>
struct checked {
  static_assert((precsim::validate(F), true), "invalid float_format");
};

#ifdef PRECSIM_VALID_CONTROL
template struct checked<precsim::float_format{4, 3, 7}>;
#else
template struct checked<precsim::float_format{4, 60, 7}>;  // mantissa_bits out of range
#endif

int main() {}
