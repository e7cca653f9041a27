# Runs CMD with ARGS and fails unless it exits with EXPECT and prints exactly one line on stderr.
execute_process(COMMAND ${CMD} ${ARGS} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
string(STRIP "${err}" err)
string(REGEX MATCHALL "\n" newlines "${err}")
if(NOT rc EQUAL ${EXPECT} OR err STREQUAL "" OR newlines)
  message(FATAL_ERROR "expected exit ${EXPECT} and one error line, got ${rc}: '${err}'")
endif()
message(STATUS "exit ${rc}: ${err}")
