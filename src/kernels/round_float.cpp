// Compiled kernels, part 1: float spans to values and codes.
#include "kernels.hpp"

namespace precsim::compiled {
PRECSIM_BULK_ROUND_FLOAT_TYPES(PRECSIM_DEFINE_ROUND)
}  // namespace precsim::compiled
