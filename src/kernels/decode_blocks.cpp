// Compiled kernels, part 3: decoding spans of codes, and the block formats.
#include "kernels.hpp"

namespace precsim::compiled {
#define PRECSIM_DEFINE_DECODE(Code, T)                                                            \
  void bulk_decode(std::span<const Code> in, std::span<T> out, const float_format& f) {           \
    detail::bulk_decode(in, out, f);                                                              \
  }
PRECSIM_BULK_DECODE_TYPES(PRECSIM_DEFINE_DECODE)
#undef PRECSIM_DEFINE_DECODE

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
