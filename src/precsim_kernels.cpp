// The compiled form of the kernels (docs/build.md): the bulk span and block entry points,
// instantiated once. Link it (CMake: precsim::precsim_kernels) and define PRECSIM_SEPARATE_KERNELS
// in every translation unit that includes precsim; those units then compile none of the kernels.
// This unit is the three parts in src/kernels/, for builds that want one file; a parallel build
// compiles the parts instead, side by side.
#include "kernels/round_float.cpp"
#include "kernels/round_double.cpp"
#include "kernels/decode_blocks.cpp"
