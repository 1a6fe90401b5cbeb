# Fails, listing the files, if any C++ source differs from clang-format's.
file(GLOB_RECURSE sources
     ${SOURCE_DIR}/auth/*.h ${SOURCE_DIR}/auth/*.cc
     ${SOURCE_DIR}/storage/*.h ${SOURCE_DIR}/storage/*.cc
     ${SOURCE_DIR}/service/*.h ${SOURCE_DIR}/service/*.cc
     ${SOURCE_DIR}/tests/*.h ${SOURCE_DIR}/tests/*.cc)
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${sources}
                RESULT_VARIABLE result ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "clang-format would change these files "
                      "(run clang-format -i on them):\n${output}")
endif()
