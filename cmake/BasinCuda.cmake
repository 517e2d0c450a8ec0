# Finds the CUDA backend's pieces: nvcc, cuBLAS, cuRAND (toolkit) and cuDNN 9,
# which may live in the toolkit, under CUDNN_ROOT, in /usr, or in a pip-installed
# Python package (site-packages/nvidia/cudnn with only libcudnn.so.9, no
# unversioned symlink). Sets BASIN_WITH_CUDA and the interface target basin_cuda_libs.
set(CUDNN_ROOT "" CACHE PATH "Folder holding cuDNN (include/cudnn.h, lib/libcudnn.so*)")
set(BASIN_WITH_CUDA OFF)

function(basin_cuda_fail why)
  if(BASIN_CUDA STREQUAL "ON")
    message(FATAL_ERROR "BASIN_CUDA=ON but ${why}")
  else()
    message(STATUS "basin: building without CUDA: ${why}")
  endif()
endfunction()

if(BASIN_CUDA STREQUAL "OFF")
  return()
endif()

include(CheckLanguage)
if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
endif()
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  basin_cuda_fail("no nvcc was found")
  return()
endif()
if(NOT CMAKE_CUDA_ARCHITECTURES)
  # H100/H200. Override with -DCMAKE_CUDA_ARCHITECTURES="80;90" etc.
  set(CMAKE_CUDA_ARCHITECTURES 90)
endif()
enable_language(CUDA)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
find_package(CUDAToolkit REQUIRED)

if(NOT TARGET CUDA::cublas OR NOT TARGET CUDA::curand)
  basin_cuda_fail("cuBLAS or cuRAND is missing from the CUDA toolkit")
  return()
endif()

# Candidate cuDNN folders: CUDNN_ROOT, $CUDNN_ROOT, the toolkit, pip's nvidia/cudnn.
set(cudnn_hints ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR})
find_program(BASIN_PYTHON NAMES python3 python)
if(BASIN_PYTHON)
  execute_process(COMMAND ${BASIN_PYTHON} -c "import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__))"
                  OUTPUT_VARIABLE pip_cudnn OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(pip_cudnn)
    list(APPEND cudnn_hints ${pip_cudnn})
  endif()
  execute_process(COMMAND ${BASIN_PYTHON} -c "import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]))"
                  OUTPUT_VARIABLE pip_nvidia OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
find_path(CUDNN_INCLUDE_DIR cudnn.h HINTS ${cudnn_hints} PATH_SUFFIXES include include/x86_64-linux-gnu)
set(_cudnn_saved_suffixes ${CMAKE_FIND_LIBRARY_SUFFIXES})
set(CMAKE_FIND_LIBRARY_SUFFIXES .so .so.9)
find_library(CUDNN_LIBRARY NAMES cudnn libcudnn.so.9 HINTS ${cudnn_hints} PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu)
set(CMAKE_FIND_LIBRARY_SUFFIXES ${_cudnn_saved_suffixes})
if(NOT CUDNN_INCLUDE_DIR OR NOT CUDNN_LIBRARY)
  basin_cuda_fail("cuDNN was not found (set CUDNN_ROOT to a folder with include/cudnn.h and lib/libcudnn.so*)")
  return()
endif()
file(STRINGS ${CUDNN_INCLUDE_DIR}/cudnn_version.h cudnn_major REGEX "#define CUDNN_MAJOR [0-9]+")
string(REGEX MATCH "[0-9]+" cudnn_major "${cudnn_major}")
if(NOT cudnn_major STREQUAL "9")
  basin_cuda_fail("cuDNN ${cudnn_major} found at ${CUDNN_INCLUDE_DIR}; basin needs cuDNN 9")
  return()
endif()

add_library(basin_cuda_libs INTERFACE)
set_target_properties(basin_cuda_libs PROPERTIES EXPORT_NAME cuda_libs)  # basin::cuda_libs when installed
target_include_directories(basin_cuda_libs INTERFACE ${CUDNN_INCLUDE_DIR} ${CUDAToolkit_INCLUDE_DIRS})
target_link_libraries(basin_cuda_libs INTERFACE CUDA::cudart CUDA::cublas CUDA::curand ${CUDNN_LIBRARY})
get_filename_component(cudnn_libdir ${CUDNN_LIBRARY} DIRECTORY)
# pip's libraries are not on the loader path: bake their folder into the binaries.
set(CMAKE_BUILD_RPATH ${CMAKE_BUILD_RPATH} ${cudnn_libdir})
set(CMAKE_INSTALL_RPATH ${CMAKE_INSTALL_RPATH} ${cudnn_libdir})
set(BASIN_WITH_CUDA ON)
message(STATUS "basin: CUDA ${CMAKE_CUDA_COMPILER_VERSION} for sm_${CMAKE_CUDA_ARCHITECTURES}; cuDNN ${CUDNN_LIBRARY}")
