// Umbrella header: formats, rounding options, the scalar rounding core, correctly rounded
// arithmetic and the value types floatx / intx, the bulk span API with its counter-based random
// streams, and sub-byte packing.
#pragma once

#include "arith.hpp"
#include "blocks/format.hpp"
#include "blocks/quantize.hpp"
#include "bulk.hpp"
#include "config.hpp"
#include "core/round.hpp"
#include "floatx.hpp"
#include "format.hpp"
#include "intx.hpp"
#include "packing.hpp"
#include "policy.hpp"
#include "random.hpp"
#include "rounding.hpp"
#include "spans.hpp"
#include "stats.hpp"
#include "train.hpp"
