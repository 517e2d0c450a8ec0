# CPU BLAS for sgemm: OpenBLAS from Debian (libopenblas-dev). Exposes the
# interface target basin_blas and BASIN_BLAS_NAME.
find_path(BASIN_CBLAS_INCLUDE cblas.h PATH_SUFFIXES openblas x86_64-linux-gnu/openblas-pthread
          HINTS /usr/include/x86_64-linux-gnu/openblas-pthread)
find_library(BASIN_OPENBLAS_LIB NAMES openblas)
add_library(basin_blas INTERFACE)
set_target_properties(basin_blas PROPERTIES EXPORT_NAME blas)  # basin::blas when installed
if(BASIN_OPENBLAS_LIB AND BASIN_CBLAS_INCLUDE)
  # cblas.h is included by kernels/cpu only: no installed header needs it.
  target_include_directories(basin_blas INTERFACE $<BUILD_INTERFACE:${BASIN_CBLAS_INCLUDE}>)
  target_link_libraries(basin_blas INTERFACE ${BASIN_OPENBLAS_LIB})
  target_compile_definitions(basin_blas INTERFACE BASIN_OPENBLAS=1)
  set(BASIN_BLAS_NAME "OpenBLAS (${BASIN_OPENBLAS_LIB})")
else()
  find_package(BLAS REQUIRED)
  target_link_libraries(basin_blas INTERFACE ${BLAS_LIBRARIES})
  set(BASIN_BLAS_NAME "BLAS (${BLAS_LIBRARIES})")
endif()
