// Smallest user of an installed or vendored precsim: rounds 0.3 to E4M3 (scalar and through the
// span API on two worker threads) and checks the code. Built header-only and with the compiled
// kernels (precsim::precsim_kernels).
#include <precsim/precsim.hpp>

#include <cstdint>
#include <vector>

int main() {
  precsim::set_max_threads(2);
  precsim::set_parallel_threshold(0);
  std::vector<float> x(1000, 0.3f);
  std::vector<std::uint8_t> codes(x.size());
  precsim::encode(x, std::span<std::uint8_t>(codes), precsim::formats::float8_e4m3fn);
  for (std::uint8_t c : codes)
    if (c != 0x2A) return 1;
  return precsim::encode(0.3f, precsim::formats::float8_e4m3fn) == 0x2A ? 0 : 1;
}
