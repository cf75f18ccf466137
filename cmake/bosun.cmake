# Precompiled headers: the standard library and nlohmann/json are parsed by nearly every translation unit and cost
# about a third of a small file's compile time, so each module library precompiles them once, and each module's
# tests share one precompiled header (with GoogleTest) through a small target the tests reuse it from.
set(BOSUN_PCH_HEADERS <algorithm> <cstdint> <functional> <map> <memory> <optional> <string> <string_view>
                      <utility> <vector> <nlohmann/json.hpp>)
set(BOSUN_TEST_PCH_HEADERS ${BOSUN_PCH_HEADERS} <gtest/gtest.h> <gmock/gmock.h>)

# Test code is compiled without optimisation even in the optimised tree: the code under test lives in the
# libraries (optimised), and -O2 on test files triples their compile time for nothing.
function(bosun_test_compile_options target)
  if(CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo" OR CMAKE_BUILD_TYPE STREQUAL "Release")
    target_compile_options(${target} PRIVATE -O0)
  endif()
endfunction()

# Disk: every test, fuzz and benchmark program links most of the code base, and with its debug information each
# would weigh about 350 MB (over 100 programs, 20-40 GB per tree; a clean CI run ran out of disk). With static
# libraries (the default: `bosun` is one self-contained file) these programs are linked without debug sections:
# symbols stay, so backtraces, perf and sanitizer reports still name functions, and GoogleTest names file and line
# itself. With BOSUN_SHARED_LIBS (the sanitizer tree) each module is one shared library that every program loads,
# so the debug information exists once and reports keep their line numbers.
function(bosun_small_executable target)
  if(NOT BOSUN_SHARED_LIBS)
    target_link_options(${target} PRIVATE -Wl,--strip-debug)
  endif()
endfunction()

# One helper registers a module: every *.cc in the folder that is not a test (*_test.cc), a fuzz target
# (*_fuzz.cc) or a test helper program (*_testmain.cc) goes into the library bosun_<name>; every *_test.cc
# becomes its own GoogleTest executable (so one module's half-finished file cannot block another's tests);
# every *_fuzz.cc becomes a libFuzzer target when BOSUN_FUZZ is on, with a short smoke run in CTest.
function(bosun_module name)
  cmake_parse_arguments(M "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB_RECURSE all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  set(lib_sources)
  set(test_sources)
  set(fuzz_sources)
  set(testlib_sources)
  foreach(src ${all_sources})
    if(src MATCHES "_test\\.cc$")
      list(APPEND test_sources ${src})
    elseif(src MATCHES "_fuzz\\.cc$")
      list(APPEND fuzz_sources ${src})
    elseif(src MATCHES "_testlib\\.cc$")
      list(APPEND testlib_sources ${src})
    else()
      list(APPEND lib_sources ${src})
    endif()
  endforeach()
  if(lib_sources)
    add_library(bosun_${name} ${BOSUN_LIBRARY_TYPE} ${lib_sources})
    target_include_directories(bosun_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(bosun_${name} PUBLIC ${M_DEPS})
    target_precompile_headers(bosun_${name} PRIVATE ${BOSUN_PCH_HEADERS})
  else()
    add_library(bosun_${name} INTERFACE)
    target_include_directories(bosun_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(bosun_${name} INTERFACE ${M_DEPS})
  endif()
  if(testlib_sources)
    # Shared test code (conformance suites, fixtures) used by this module's tests and by other modules' tests.
    # Always static: GoogleTest is a static library, and a shared test library would carry a second copy of its
    # registry (its TEST_Ps would never run).
    add_library(bosun_${name}_testlib STATIC ${testlib_sources})
    target_link_libraries(bosun_${name}_testlib PUBLIC bosun_${name} GTest::gtest GTest::gmock)
    target_precompile_headers(bosun_${name}_testlib PRIVATE ${BOSUN_TEST_PCH_HEADERS})
    list(APPEND M_TEST_DEPS bosun_${name}_testlib)
  endif()
  if(test_sources)
    # The tests' precompiled header is built by this object library, compiled exactly as the tests are.
    add_library(bosun_${name}_testpch OBJECT ${PROJECT_SOURCE_DIR}/cmake/empty.cc)
    target_link_libraries(bosun_${name}_testpch PRIVATE bosun_${name} ${M_TEST_DEPS} GTest::gtest GTest::gmock)
    target_precompile_headers(bosun_${name}_testpch PRIVATE ${BOSUN_TEST_PCH_HEADERS})
    bosun_test_compile_options(bosun_${name}_testpch)
  endif()
  foreach(src ${test_sources})
    get_filename_component(test_name ${src} NAME_WE)
    add_executable(${test_name} ${src})
    target_link_libraries(${test_name} PRIVATE bosun_${name} ${M_TEST_DEPS} GTest::gtest GTest::gmock
                          GTest::gtest_main)
    target_precompile_headers(${test_name} REUSE_FROM bosun_${name}_testpch)
    bosun_test_compile_options(${test_name})
    bosun_small_executable(${test_name})
    gtest_discover_tests(${test_name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "unit;${name}")
  endforeach()
  if(BOSUN_FUZZ)
    foreach(src ${fuzz_sources})
      get_filename_component(fuzz_name ${src} NAME_WE)
      add_executable(${fuzz_name} ${src})
      target_link_libraries(${fuzz_name} PRIVATE bosun_${name})
      target_link_options(${fuzz_name} PRIVATE -fsanitize=fuzzer)
      bosun_small_executable(${fuzz_name})
      # The smoke run writes new inputs to a scratch directory, never into the seed corpus in the tree. Its seed is
      # fixed (a CI run must not fail on the luck of a draw); `make fuzz` explores with random seeds.
      add_test(NAME ${fuzz_name}_smoke
               COMMAND ${PROJECT_SOURCE_DIR}/scripts/fuzz-run.sh $<TARGET_FILE:${fuzz_name}> 10
                       ${PROJECT_SOURCE_DIR}/fuzz/corpus/${fuzz_name})
      set_tests_properties(${fuzz_name}_smoke PROPERTIES LABELS "fuzz" ENVIRONMENT "FUZZ_SEED=1")
      set_property(GLOBAL APPEND PROPERTY BOSUN_FUZZ_TARGETS ${fuzz_name})
    endforeach()
  endif()
endfunction()

# bosun_bench(name SOURCES... DEPS...) adds a Google Benchmark program under bench/.
function(bosun_bench name)
  cmake_parse_arguments(B "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${B_SOURCES})
  target_link_libraries(${name} PRIVATE ${B_DEPS} benchmark::benchmark)
  bosun_small_executable(${name})
endfunction()
