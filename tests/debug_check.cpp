// PRECSIM_DEBUG: the scalar core stops with the reason on an invalid descriptor instead of
// returning an unspecified code. Usage: debug_check {format|rounding|decode|valid}; every case but
// "valid" must end the program with the reason on stderr (tests/expect_abort.cmake).
#include <precsim/precsim.hpp>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  namespace ps = precsim;
  volatile int mantissa = 60, bits = 65;  // run-time values: no constant folding
  const char* what = argc > 1 ? argv[1] : "valid";
  ps::float_format f{4, 3, 7};
  ps::rounding r{ps::round_mode::stochastic};
  if (!std::strcmp(what, "format") || !std::strcmp(what, "decode")) f.mantissa_bits = mantissa;
  if (!std::strcmp(what, "rounding")) r.random_bits = bits;
  const std::uint64_t c = std::strcmp(what, "decode") ? ps::encode(1.0f, f, r, 7) : 0;
  std::printf("code %llu, value %g\n", static_cast<unsigned long long>(c), ps::decode(c, f));
  return 0;
}
