// The compiled form of the kernels (docs/build.md): the bulk span and block entry points,
// instantiated once. Link it (CMake: precsim::precsim_kernels) and define PRECSIM_SEPARATE_KERNELS
// in every translation unit that includes precsim; those units then compile none of the kernels.
#ifndef PRECSIM_SEPARATE_KERNELS
#define PRECSIM_SEPARATE_KERNELS
#endif
#define PRECSIM_KERNELS_SOURCE
#include <precsim/precsim.hpp>

namespace precsim::compiled {

#define PRECSIM_DEFINE_ROUND(T, Out)                                                              \
  void bulk_round(const char* fn, std::span<const T> in, std::span<Out> out, const float_format& f, \
                  const rounding& r, const sr_stream& s) {                                        \
    detail::bulk_round(fn, in, out, f, r, s);                                                     \
  }
#define PRECSIM_DEFINE_DECODE(Code, T)                                                            \
  void bulk_decode(std::span<const Code> in, std::span<T> out, const float_format& f) {           \
    detail::bulk_decode(in, out, f);                                                              \
  }
PRECSIM_BULK_ROUND_TYPES(PRECSIM_DEFINE_ROUND)
PRECSIM_BULK_DECODE_TYPES(PRECSIM_DEFINE_DECODE)

void quantize_blocks_impl(std::span<const float> in, std::span<float> out, std::size_t rows, std::size_t cols,
                          const block_format& f, const rounding& r, const sr_stream& s, std::span<const float> user) {
  detail::quantize_blocks_impl(in, out, rows, cols, f, r, s, user);
}
void encode_blocks_impl(std::span<const float> in, std::size_t rows, std::size_t cols, const block_format& f,
                        const rounding& r, const sr_stream& s, std::span<const float> user, block_tensor& bt) {
  detail::encode_blocks_impl(in, rows, cols, f, r, s, user, bt);
}
void decode_blocks_impl(const block_tensor& bt, std::span<float> out) { detail::decode_blocks_impl(bt, out); }

}  // namespace precsim::compiled
