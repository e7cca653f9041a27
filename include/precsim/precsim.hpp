// Umbrella header: formats, rounding options and the scalar rounding API.
#pragma once

#include "config.hpp"
#include "core/round.hpp"
#include "format.hpp"
#include "rounding.hpp"
