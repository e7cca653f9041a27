// Under ThreadSanitizer: bulk calls from several threads at once (each also splitting its span
// over worker threads), value types under per-thread scopes, while another thread changes the
// process-wide settings (SIMD level, thread count, threshold). Results must equal a sequential
// run; TSan must report no race (halt_on_error).
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include <precsim/precsim.hpp>

namespace ps = precsim;

int main() {
  constexpr std::size_t n = 1 << 15;
  std::vector<float> in(n);
  for (std::size_t i = 0; i < n; ++i) in[i] = float(i % 977) * 0.013f - 5.0f + float(i) * 1e-6f;
  const ps::rounding modes[] = {{}, {ps::round_mode::stochastic}, {ps::round_mode::toward_zero}};
  const ps::float_format formats[] = {ps::formats::float8_e4m3fn, ps::formats::bfloat16, ps::formats::float4_e2m1fn};
  std::vector<std::vector<float>> want;
  for (std::size_t t = 0; t < 3; ++t) {
    want.emplace_back(n);
    ps::quantize(in, want.back(), formats[t], modes[t], {1, t, 0});
  }
  ps::set_parallel_threshold(1024);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread changer([&] {
    const ps::simd_level best = ps::best_simd_level();
    for (unsigned k = 0; !stop; ++k) {
      ps::set_simd_level(k % 2 ? ps::simd_level::scalar : best);
      ps::set_max_threads(1 + k % 3);
      ps::set_parallel_threshold(k % 2 ? 1024 : 1 << 20);
    }
  });
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < 3; ++t)
    workers.emplace_back([&, t] {
      std::vector<float> out(n);
      for (int rep = 0; rep < 20; ++rep) {
        ps::quantize(in, out, formats[t], modes[t], {1, t, 0});
        if (std::memcmp(out.data(), want[t].data(), n * sizeof(float)) != 0) ++bad;
        const ps::rounding_scope scope({ps::round_mode::stochastic}, {7, t, 0});
        ps::bfloat16 acc = 0;
        for (int i = 0; i < 100; ++i) acc += ps::bfloat16(0.1);
        (void)acc;
      }
    });
  for (auto& w : workers) w.join();
  stop = true;
  changer.join();
  std::printf("%d passed, %d failed\n", bad ? 0 : 1, bad ? 1 : 0);
  return bad ? 1 : 0;
}
