// Umbrella header: formats, rounding options, the scalar rounding core, the bulk span API with
// its counter-based random streams, and sub-byte packing.
#pragma once

#include "bulk.hpp"
#include "config.hpp"
#include "core/round.hpp"
#include "format.hpp"
#include "packing.hpp"
#include "random.hpp"
#include "rounding.hpp"
