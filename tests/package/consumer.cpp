// Smallest user of an installed or vendored precsim: rounds 0.3 to E4M3 and checks the code.
#include <precsim/precsim.hpp>

int main() {
  return precsim::encode(0.3f, precsim::formats::float8_e4m3fn) == 0x2A ? 0 : 1;
}
