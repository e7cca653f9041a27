// The bulk API's threads (parallel.hpp): a persistent pool, no oversubscription (calls from
// several threads, nested calls, OpenMP regions), the caller's executor, and the same bits
// whatever runs the chunks.
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include <precsim/precsim.hpp>

#include "inputs.hpp"

using namespace precsim;
namespace fmt = precsim::formats;

// An OpenMP runtime's query, as a program linked with one has it: precsim looks it up at run time.
static std::atomic<int> fake_omp_level{0};
extern "C" int omp_in_parallel() { return fake_omp_level.load(); }

namespace {

std::vector<float> inputs(std::size_t n) {
  test::splitmix64 rng{3};
  std::vector<float> x(n);
  for (auto& v : x) v = float(double(rng() >> 11) * 0x1p-53 * 16 - 8);
  return x;
}

// The reference: one thread.
std::vector<float> serial(const std::vector<float>& x, const rounding& r) {
  std::vector<float> y(x.size());
  set_max_threads(1);
  quantize(x, y, fmt::float8_e4m3fn, r, sr_stream{4, 5});
  return y;
}

struct threads_scope {
  explicit threads_scope(unsigned n) {
    set_max_threads(n);
    set_parallel_threshold(0);
  }
  ~threads_scope() {
    set_max_threads(0);
    set_parallel_threshold(std::size_t{1} << 20);
    set_executor({});
  }
};

}  // namespace

TEST_CASE("the pool is started once and reused; results equal one thread's at every thread count") {
  const std::vector<float> x = inputs(1 << 20);
  const rounding sr{round_mode::stochastic};
  const std::vector<float> want = serial(x, sr);
  std::vector<float> y(x.size());
  const threads_scope ts(4);
  quantize(x, y, fmt::float8_e4m3fn, sr, sr_stream{4, 5});  // starts the workers it needs
  const std::uint64_t started = shared::pool_threads_started;
  for (unsigned threads : {2u, 3u, 4u, 2u}) {
    set_max_threads(threads);
    for (int k = 0; k < 20; ++k) {
      quantize(x, y, fmt::float8_e4m3fn, sr, sr_stream{4, 5});
      REQUIRE(std::memcmp(y.data(), want.data(), y.size() * 4) == 0);
    }
  }
  CHECK(shared::pool_threads_started == started);  // no thread per call
  CHECK(started <= 3);
}

TEST_CASE("calls from several threads at once, nested calls and OpenMP regions run without extra threads") {
  const std::vector<float> x = inputs(1 << 19);
  const std::vector<float> want = serial(x, {});
  const threads_scope ts(2);
  // Several threads at once: each call runs (one of them on the pool at a time), same bits.
  std::vector<std::vector<float>> out(6, std::vector<float>(x.size()));
  std::vector<std::thread> callers;
  for (auto& o : out)
    callers.emplace_back([&] {
      for (int k = 0; k < 10; ++k) quantize(x, o, fmt::float8_e4m3fn);
    });
  for (auto& t : callers) t.join();
  for (auto& o : out) CHECK(std::memcmp(o.data(), want.data(), o.size() * 4) == 0);
  // Nested: a call made from inside a chunk runs on that chunk's thread, in one piece.
  std::atomic<int> nested_pieces{0};
  std::atomic<int> outer_chunks{0};
  set_executor([&](std::size_t chunks, const std::function<void(std::size_t)>& run) {
    for (std::size_t k = 0; k < chunks; ++k) run(k);
    ++outer_chunks;
  });
  std::vector<float> y(x.size());
  set_executor([&](std::size_t chunks, const std::function<void(std::size_t)>& run) {
    ++outer_chunks;
    for (std::size_t k = 0; k < chunks; ++k) {
      run(k);
      // what a chunk would do if it called the API again: no second executor call
      std::vector<float> inner(x.begin(), x.begin() + (1 << 16)), inner_out(inner.size());
      const int before = outer_chunks;
      shared::in_parallel_chunk = true;
      quantize(inner, inner_out, fmt::float8_e4m3fn);
      shared::in_parallel_chunk = false;
      if (outer_chunks == before) ++nested_pieces;
    }
  });
  quantize(x, y, fmt::float8_e4m3fn);
  CHECK(outer_chunks == 1);
  CHECK(nested_pieces > 1);
  CHECK(std::memcmp(y.data(), want.data(), y.size() * 4) == 0);
  set_executor({});
  // Inside an OpenMP parallel region: one piece on the calling thread (no executor call).
  int calls = 0;
  set_executor([&](std::size_t chunks, const std::function<void(std::size_t)>& run) {
    ++calls;
    for (std::size_t k = 0; k < chunks; ++k) run(k);
  });
  fake_omp_level = 1;
  quantize(x, y, fmt::float8_e4m3fn);
  CHECK(calls == 0);
  fake_omp_level = 0;
  quantize(x, y, fmt::float8_e4m3fn);
  CHECK(calls == 1);
  CHECK(std::memcmp(y.data(), want.data(), y.size() * 4) == 0);
}

TEST_CASE("an executor gets every chunk once; run in any order on any threads, the bits are the same") {
  const std::vector<float> x = inputs((1 << 20) + 12345);
  const rounding sr{round_mode::stochastic, saturation::none, 8};
  const std::vector<float> want = serial(x, sr);
  const threads_scope ts(4);
  std::size_t seen_chunks = 0;
  set_executor([&](std::size_t chunks, const std::function<void(std::size_t)>& run) {
    seen_chunks = chunks;
    std::vector<std::thread> team;  // reverse order, on threads of the caller's making
    for (std::size_t k = chunks; k-- > 0;) team.emplace_back([&run, k] { run(k); });
    for (auto& t : team) t.join();
  });
  std::vector<float> y(x.size());
  quantize(x, y, fmt::float8_e4m3fn, sr, sr_stream{4, 5});
  CHECK(seen_chunks > 4);
  CHECK(std::memcmp(y.data(), want.data(), y.size() * 4) == 0);
  // Statistics and block formats go through the same chunks.
  const quantization_stats st = measure(x, y, fmt::float8_e4m3fn);
  set_executor({});
  set_max_threads(1);
  const quantization_stats st1 = measure(x, y, fmt::float8_e4m3fn);
  CHECK(std::memcmp(&st, &st1, sizeof st) == 0);
}
