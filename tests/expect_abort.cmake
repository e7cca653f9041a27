# Runs CMD with ARGS and fails unless it ends abnormally (non-zero exit or a signal) with EXPECT
# (a regular expression) on stderr.
execute_process(COMMAND ${CMD} ${ARGS} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(rc EQUAL 0 OR NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "expected an abnormal end with '${EXPECT}', got ${rc}: '${err}'")
endif()
message(STATUS "${rc}: ${err}")
