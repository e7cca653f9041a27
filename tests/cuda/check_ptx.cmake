# Compiles SOURCE to PTX and fails if the PTX traps or lost the kernel's stores.
execute_process(COMMAND ${NVCC} -std=c++20 -O2 --expt-relaxed-constexpr -arch=sm_90 -I${INCLUDE} -ptx
                        ${SOURCE} -o ${OUT}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nvcc failed: ${err}")
endif()
file(READ ${OUT} ptx)
string(REGEX MATCHALL "st\\.global" stores "${ptx}")
list(LENGTH stores count)
if(ptx MATCHES "trap;" OR count LESS 2)
  message(FATAL_ERROR "${SOURCE}: the PTX has ${count} global stores (want 2) or a trap")
endif()
message(STATUS "${count} global stores, no trap")
