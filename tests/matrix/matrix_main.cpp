// The configuration matrix in one program: probe TUs built with different flags (optimisation,
// fast-math, ISA, language standard, nvcc) are linked together with a reference probe built with
// plain flags, in the order CMake gives (two executables: forward and reverse). For every SIMD
// level the CPU runs, and in the default environment, with FTZ + DAZ, and with FP traps enabled,
// each probe's results must equal the reference's word for word, and no probe may share the
// library's code with a differently configured one.
#include <cfenv>
#include <cstdio>
#include <cstring>
#include <string>

#include <precsim/bulk.hpp>

#include "probe.hpp"

#if PRECSIM_X86
#include <immintrin.h>
#endif

#define PRECSIM_MATRIX_PROBE(name, flags, need) void name(matrix::probe_out&);
#include "probes.inc"
#undef PRECSIM_MATRIX_PROBE

namespace {

struct probe {
  const char* name;
  const char* flags;
  void (*run)(matrix::probe_out&);
  const char* need;  // "" or a CPU requirement
};

const probe probes[] = {
#define PRECSIM_MATRIX_PROBE(name, flags, need) {#name, flags, &name, need},
#include "probes.inc"
#undef PRECSIM_MATRIX_PROBE
};

bool cpu_has(const std::string& need) {
  if (need.empty()) return true;
#if PRECSIM_X86
  if (need == "avx512")
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512cd");
#endif
  return false;
}

matrix::probe_out ref, got;
int passed = 0, failed = 0;

const char* label_at(const matrix::probe_out& o, std::size_t i) {
  const char* label = "?";
  for (std::size_t k = 0; k < o.mark_count; ++k)
    if (o.marks[k].start <= i) label = o.marks[k].label;
  return label;
}

void compare(const probe& p, const char* level, const char* env) {
  std::size_t bad = 0;
  if (got.count != ref.count) {
    std::printf("FAIL %s [%s, %s]: %zu words, reference %zu\n", p.name, level, env, got.count, ref.count);
    ++failed;
    return;
  }
  for (std::size_t i = 0; i < ref.count; ++i)
    if (got.words[i] != ref.words[i] && ++bad <= 3)
      std::printf("FAIL %s [%s, %s] word %zu (%s): 0x%08x, reference 0x%08x\n", p.name, level, env, i,
                  label_at(ref, i), got.words[i], ref.words[i]);
  if (bad) {
    std::printf("FAIL %s (%s) [%s, %s]: %zu of %zu words differ\n", p.name, p.flags, level, env, bad, ref.count);
    ++failed;
  } else {
    ++passed;
  }
}

// Runs p with the caller's environment set as `env` says, restoring it after.
void run_in(const probe& p, const char* env) {
  const std::string e = env;
#if PRECSIM_X86
  const unsigned csr = _mm_getcsr();
  if (e == "FTZ+DAZ") _mm_setcsr(csr | 0x8040u);
#endif
#if defined(__GLIBC__) && PRECSIM_X86
  if (e == "traps") feenableexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW);
#endif
  p.run(got);
#if defined(__GLIBC__) && PRECSIM_X86
  if (e == "traps") fedisableexcept(FE_ALL_EXCEPT);
#endif
#if PRECSIM_X86
  _mm_setcsr(csr);
#endif
}

}  // namespace

int main() {
  const probe& reference = probes[0];  // probes.inc lists the reference first
  for (auto level : {precsim::simd_level::scalar, precsim::simd_level::portable,
                     precsim::simd_level::avx2, precsim::simd_level::avx512}) {
    if (!precsim::simd_level_supported(level)) continue;
    precsim::set_simd_level(level);
    const char* lname = precsim::to_string(level);
    reference.run(ref);
    for (const probe& p : probes) {
      if (!cpu_has(p.need)) {
        std::printf("%-12s not run: the CPU lacks %s (linked all the same)\n", p.name, p.need);
        continue;
      }
      for (const char* env : {"default", "FTZ+DAZ", "traps"}) {
        run_in(p, env);
        compare(p, lname, env);
      }
      // Probes of another configuration must not share the library's code with the reference.
      const bool same_config = std::strcmp(got.config, ref.config) == 0;
      const bool distinct = got.quantize_fn != ref.quantize_fn && got.isnan_fn != ref.isnan_fn;
      if (!same_config && !distinct) {
        std::printf("FAIL %s: config %s shares precsim::quantize with the reference's %s\n", p.name,
                    got.config, ref.config);
        ++failed;
      } else {
        ++passed;
      }
      if (level == precsim::simd_level::scalar || level == precsim::best_simd_level())
        std::printf("%-12s %-48s %-16s %-8s quantize %.3f ns/element\n", p.name, p.flags, got.config,
                    lname, got.ns_per_element);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
