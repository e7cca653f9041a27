# Configures precsim at SOURCE into BUILD as if doctest, Boost and Google Benchmark were not
# installed: it must succeed and say that the tests and benchmarks are skipped.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${BUILD} -DCMAKE_CXX_COMPILER=${CXX}
                        -DCMAKE_DISABLE_FIND_PACKAGE_doctest=ON -DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON
                        -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON -DPRECSIM_ENABLE_CUDA=OFF
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX REPLACE "[ \n]+" " " all "${out} ${err}")
if(NOT rc EQUAL 0 OR NOT all MATCHES "tests skipped: they need doctest and Boost" OR
   NOT all MATCHES "Google Benchmark not found")
  message(FATAL_ERROR "configure without test dependencies: exit ${rc}\n${out}\n${err}")
endif()
message(STATUS "configured without doctest, Boost and Google Benchmark: tests and benchmarks skipped")
