# Carried dependencies for machines without Debian's packages (the bare GPU
# machine): -DBASIN_DEPS_PREFIX=<folder filled by scripts/make-carry.sh>.
# Unset (the default), this file does nothing and the normal Debian build is
# unchanged. Set, the folder is searched FIRST for every dependency:
#   - it is prepended to CMAKE_PREFIX_PATH, so find_path/find_library/find_package
#     (zlib, stb, cblas.h, nlohmann_json and CLI11 configs) look there before HINTS
#     and system folders;
#   - OpenBLAS is named by its versioned file (the carry holds no .so symlink);
#   - GoogleTest is built from the carried sources (see basin_find_gtest below);
#   - the carried lib/ folder goes into the binaries' RPATH (not RUNPATH, so that
#     libopenblas.so.0 also finds the carried libgfortran.so.5 through it).
set(BASIN_DEPS_PREFIX "" CACHE PATH "Folder of carried dependencies (scripts/make-carry.sh); searched first")

if(BASIN_DEPS_PREFIX)
  get_filename_component(BASIN_DEPS_PREFIX_ABS "${BASIN_DEPS_PREFIX}" ABSOLUTE BASE_DIR "${PROJECT_SOURCE_DIR}")
  if(NOT IS_DIRECTORY "${BASIN_DEPS_PREFIX_ABS}")
    message(FATAL_ERROR "BASIN_DEPS_PREFIX=${BASIN_DEPS_PREFIX} is not a folder (run scripts/make-carry.sh)")
  endif()
  list(PREPEND CMAKE_PREFIX_PATH "${BASIN_DEPS_PREFIX_ABS}")
  if(EXISTS "${BASIN_DEPS_PREFIX_ABS}/lib/libopenblas.so.0" AND EXISTS "${BASIN_DEPS_PREFIX_ABS}/include/cblas.h")
    set(BASIN_OPENBLAS_LIB "${BASIN_DEPS_PREFIX_ABS}/lib/libopenblas.so.0" CACHE FILEPATH "" FORCE)
    set(BASIN_CBLAS_INCLUDE "${BASIN_DEPS_PREFIX_ABS}/include" CACHE PATH "" FORCE)
  endif()
  if(EXISTS "${BASIN_DEPS_PREFIX_ABS}/lib/libz.a")
    # FindZLIB honours ZLIB_ROOT first; the static archive needs nothing at run time.
    set(ZLIB_ROOT "${BASIN_DEPS_PREFIX_ABS}")
    set(ZLIB_USE_STATIC_LIBS ON)
  endif()
  list(APPEND CMAKE_BUILD_RPATH "${BASIN_DEPS_PREFIX_ABS}/lib")
  # RPATH applies to the libraries a library loads; RUNPATH does not.
  add_link_options("LINKER:--disable-new-dtags")
  message(STATUS "basin: carried dependencies searched first in ${BASIN_DEPS_PREFIX_ABS}")
endif()

# GoogleTest: the installed package when there is one and nothing is carried;
# with a carried source tree (src/googletest), build it here so the suite needs
# no installed GoogleTest. Defines GTest::gtest and GTest::gtest_main either way.
macro(basin_find_gtest)
  set(_basin_gtest_src "${BASIN_DEPS_PREFIX_ABS}/src/googletest")
  if(BASIN_DEPS_PREFIX AND EXISTS "${_basin_gtest_src}/CMakeLists.txt")
    set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    set(gtest_force_shared_crt ON CACHE BOOL "" FORCE)
    set(_basin_system "")
    if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.25)
      set(_basin_system SYSTEM)  # its headers' warnings are not ours
    endif()
    add_subdirectory("${_basin_gtest_src}" "${PROJECT_BINARY_DIR}/_deps/googletest" EXCLUDE_FROM_ALL ${_basin_system})
    if(NOT TARGET GTest::gtest_main)
      add_library(GTest::gtest ALIAS gtest)
      add_library(GTest::gtest_main ALIAS gtest_main)
    endif()
    message(STATUS "basin: GoogleTest built from ${_basin_gtest_src}")
  else()
    find_package(GTest REQUIRED)
  endif()
endmacro()
