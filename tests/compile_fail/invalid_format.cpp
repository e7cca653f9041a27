// Must fail to compile, naming the bad field: a descriptor with mantissa_bits out of range, or
// rounding with random_bits out of range, as compile-time arguments. (Built with
// -DPRECSIM_VALID_CONTROL it must compile, so the failure is the descriptor's.)
#include <precsim/format.hpp>

#ifdef PRECSIM_VALID_CONTROL
static_assert(precsim::format_check<precsim::float_format{4, 3, 7}>::valid);
static_assert(precsim::rounding_check<precsim::rounding{precsim::round_mode::stochastic, {}, 8}>::valid);
#elif defined(PRECSIM_BAD_ROUNDING)
static_assert(precsim::rounding_check<precsim::rounding{precsim::round_mode::stochastic, {}, 65}>::valid);
#else
static_assert(precsim::format_check<precsim::float_format{4, 60, 7}>::valid);
#endif

int main() {}
