// Compiled kernels, part 2: double spans to values and codes.
#include "kernels.hpp"

namespace precsim::compiled {
PRECSIM_BULK_ROUND_DOUBLE_TYPES(PRECSIM_DEFINE_ROUND)
}  // namespace precsim::compiled
