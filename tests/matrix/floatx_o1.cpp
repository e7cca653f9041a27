// Must compile at -O1 (with and without AddressSanitizer): the rounded_* functions are
// always-inline, and GCC cannot inline them through a function pointer at -O1.
#include <precsim/floatx.hpp>

precsim::float8_e4m3fn f(precsim::float8_e4m3fn x) { return x * x + x; }
precsim::bfloat16 g(precsim::bfloat16 x, precsim::bfloat16 y) { return (x - y) / (x + y); }
