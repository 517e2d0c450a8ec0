# Data-parallel training's engines (dist/): MPI (OpenMPI from Debian:
# libopenmpi-dev openmpi-bin) and, in CUDA builds, NCCL (in the CUDA toolkit, or
# pip's nvidia/nccl). Sets BASIN_WITH_MPI and BASIN_WITH_NCCL and, when MPI is
# found, the object library basin_mpi (dist/mpi/, dist/nccl/) that the `basin`
# command links: libbasin itself never needs MPI.
set(BASIN_MPI "AUTO" CACHE STRING "Data-parallel training over MPI (and NCCL with CUDA): AUTO, ON, OFF")
set_property(CACHE BASIN_MPI PROPERTY STRINGS AUTO ON OFF)
set(BASIN_WITH_MPI OFF)
set(BASIN_WITH_NCCL OFF)
# AUTO leaves MPI out of sanitizer and fuzz builds: OpenMPI's own allocations at
# exit read as leaks under LeakSanitizer (BASIN_MPI=ON forces it in).
if(BASIN_MPI STREQUAL "AUTO" AND (BASIN_SANITIZE OR BASIN_FUZZ))
  message(STATUS "basin: building without MPI (sanitizer/fuzz build; -DBASIN_MPI=ON to force)")
elseif(NOT BASIN_MPI STREQUAL "OFF")
  find_package(MPI COMPONENTS C QUIET)
  if(MPI_C_FOUND)
    set(BASIN_WITH_MPI ON)
  elseif(BASIN_MPI STREQUAL "ON")
    message(FATAL_ERROR "BASIN_MPI=ON but MPI was not found (Debian: apt-get install libopenmpi-dev openmpi-bin)")
  else()
    message(STATUS "basin: building without MPI (no data-parallel training; apt-get install libopenmpi-dev openmpi-bin)")
  endif()
endif()

if(BASIN_WITH_MPI AND BASIN_WITH_CUDA)
  set(nccl_hints ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR} $ENV{NCCL_ROOT})
  if(pip_nvidia)
    list(APPEND nccl_hints ${pip_nvidia}/nvidia/nccl ${pip_nvidia}/nccl)
  endif()
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${nccl_hints} ${CUDAToolkit_INCLUDE_DIRS} PATH_SUFFIXES include)
  set(_nccl_saved_suffixes ${CMAKE_FIND_LIBRARY_SUFFIXES})
  set(CMAKE_FIND_LIBRARY_SUFFIXES .so .so.2)
  find_library(NCCL_LIBRARY NAMES nccl libnccl.so.2 HINTS ${nccl_hints} ${CUDAToolkit_LIBRARY_DIR}
               PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu)
  set(CMAKE_FIND_LIBRARY_SUFFIXES ${_nccl_saved_suffixes})
  if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    set(BASIN_WITH_NCCL ON)
    get_filename_component(nccl_libdir ${NCCL_LIBRARY} DIRECTORY)
    set(CMAKE_BUILD_RPATH ${CMAKE_BUILD_RPATH} ${nccl_libdir})
  else()
    message(STATUS "basin: NCCL not found: CUDA tensors are reduced through host copies over MPI")
  endif()
endif()

# The MPI/NCCL objects, linked into the targets that call basin_link_mpi().
function(basin_add_mpi_objects)
  if(NOT BASIN_WITH_MPI)
    return()
  endif()
  file(GLOB mpi_src CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/dist/mpi/*.cpp)
  if(BASIN_WITH_NCCL)
    file(GLOB nccl_src CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/dist/nccl/*.cpp)
    list(APPEND mpi_src ${nccl_src})
  endif()
  add_library(basin_mpi OBJECT ${mpi_src})
  target_compile_options(basin_mpi PRIVATE ${BASIN_WARNINGS})
  target_link_libraries(basin_mpi PUBLIC basin MPI::MPI_C)
  # The C API only: OpenMPI's mpi.h otherwise pulls in the deprecated C++ bindings (libmpi_cxx).
  target_compile_definitions(basin_mpi PUBLIC OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
  if(BASIN_WITH_NCCL)
    target_include_directories(basin_mpi PRIVATE ${NCCL_INCLUDE_DIR})
    target_link_libraries(basin_mpi PUBLIC ${NCCL_LIBRARY})
  endif()
endfunction()
