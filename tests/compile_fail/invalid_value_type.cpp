// Must fail to compile: a floatx with an invalid descriptor, or an intx outside 2..32 bits.
// (Built with -DPRECSIM_VALID_CONTROL it must compile, so the failure is the type's.)
#include <precsim/floatx.hpp>
#include <precsim/intx.hpp>

#ifdef PRECSIM_VALID_CONTROL
precsim::floatx<precsim::float_format{4, 3, 7}> x(1.0);
precsim::intx<32> i(1.0);
#elif defined(PRECSIM_BAD_INTX)
precsim::intx<33> i(1.0);  // Bits out of range
#else
precsim::floatx<precsim::float_format{4, 60, 7}> x(1.0);  // mantissa_bits out of range
#endif

int main() {}
