# Runs at every build (not only at configure): writes the source tree's git hash, with "-dirty"
# when tracked files differ from HEAD, into OUTPUT, touching the file only when the text changes
# so that nothing recompiles needlessly. Used as: cmake -DSOURCE_DIR=... -DOUTPUT=... -P git_hash.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
  OUTPUT_VARIABLE hash OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR NOT hash)
  set(hash "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD -- WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE dirty
    ERROR_QUIET)
  if(dirty)
    set(hash "${hash}-dirty")
  endif()
endif()
set(text "// Generated at build time by cmake/git_hash.cmake.\n#pragma once\n#define ONCOLM_GIT_HASH \"${hash}\"\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUTPUT} "${text}")
endif()
