// The fuzz harnesses' view of their input: fixed-size little-endian fields read from the front
// (zeros once the bytes run out), so that seed files can be written by hand (corpus/README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fuzz {

struct reader {
  const std::uint8_t* p;
  std::size_t n;
  template <class T>
  T take() {
    T v{};
    const std::size_t k = n < sizeof(T) ? n : sizeof(T);
    std::memcpy(&v, p, k);
    p += k;
    n -= k;
    return v;
  }
  // An integer in [lo, hi], from one byte (hi - lo < 256).
  int pick(int lo, int hi) { return lo + int(take<std::uint8_t>() % unsigned(hi - lo + 1)); }
  bool empty() const { return n == 0; }
};

// A finding: print what differs and abort, so that libFuzzer saves the input.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what);
  std::abort();
}

}  // namespace fuzz
