# Install rules (included by the top-level CMakeLists when BASIN_INSTALL is on):
#   <prefix>/bin/basin                          the command line
#   <prefix>/lib/libbasin.a                     the library (static)
#   <prefix>/include/basin/{tensor,nn,...}/*.h  public headers, the source tree's layout:
#                                               #include "nn/models/resnet.h" with
#                                               -I<prefix>/include/basin (the target sets it)
#   <prefix>/lib/cmake/basin/                   basinConfig.cmake, basinConfigVersion.cmake,
#                                               basinTargets.cmake: find_package(basin) -> basin::basin
#   <prefix>/lib/pkgconfig/basin.pc             pkg-config --cflags --libs basin
#   <prefix>/share/basin/examples/              examples/ sources with their CMakeLists.txt
# Everything is relative to the prefix, so `cmake --install build --prefix P` can
# pick P after configuring.
include(CMakePackageConfigHelpers)

set(BASIN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/basin)
set(BASIN_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/basin)

# ---- targets --------------------------------------------------------------------
set(_basin_export_targets basin basin_blas basin_dnnl)
if(BASIN_WITH_CUDA)
  list(APPEND _basin_export_targets basin_cuda_libs)
endif()
install(TARGETS ${_basin_export_targets} EXPORT basinTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(TARGET basin_cli)
  install(TARGETS basin_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT basinTargets NAMESPACE basin:: DESTINATION ${BASIN_INSTALL_CMAKEDIR})

# ---- headers: every component's *.h / *.cuh, cuda/ folders only in CUDA builds ----
foreach(comp ${BASIN_COMPONENTS})
  set(_basin_exclude "")
  if(NOT BASIN_WITH_CUDA)
    set(_basin_exclude PATTERN "cuda" EXCLUDE)
  endif()
  # dist/mpi, dist/nccl: the command's MPI objects, not part of libbasin.
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${comp}/ DESTINATION ${BASIN_INSTALL_INCLUDEDIR}/${comp}
          FILES_MATCHING PATTERN "*.h" PATTERN "*.cuh" ${_basin_exclude} PATTERN "mpi" EXCLUDE PATTERN "nccl" EXCLUDE)
endforeach()

# ---- CMake package ------------------------------------------------------------------
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/basinConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/basinConfig.cmake
                              INSTALL_DESTINATION ${BASIN_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/basinConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/basinConfig.cmake ${PROJECT_BINARY_DIR}/basinConfigVersion.cmake
        DESTINATION ${BASIN_INSTALL_CMAKEDIR})

# ---- pkg-config: a static library, so Libs lists every dependency -----------------
set(BASIN_PC_CFLAGS "${OpenMP_CXX_FLAGS}")
set(BASIN_PC_LIBS "${OpenMP_CXX_FLAGS} -pthread")
if(BASIN_OPENBLAS_LIB)
  string(APPEND BASIN_PC_LIBS " ${BASIN_OPENBLAS_LIB}")
else()
  list(JOIN BLAS_LIBRARIES " " _basin_blas_libs)
  string(APPEND BASIN_PC_LIBS " ${_basin_blas_libs}")
endif()
if(BASIN_WITH_DNNL)
  string(APPEND BASIN_PC_LIBS " ${BASIN_DNNL_LIB}")
endif()
list(JOIN ZLIB_LIBRARIES " " _basin_zlib)
string(APPEND BASIN_PC_LIBS " ${_basin_zlib}")
get_target_property(_basin_json_inc nlohmann_json::nlohmann_json INTERFACE_INCLUDE_DIRECTORIES)
foreach(dir ${_basin_json_inc})
  if(NOT dir STREQUAL "/usr/include")
    string(APPEND BASIN_PC_CFLAGS " -I${dir}")
  endif()
endforeach()
if(BASIN_WITH_CUDA)
  string(APPEND BASIN_PC_CFLAGS " -DBASIN_WITH_CUDA=1")
  foreach(dir ${CUDNN_INCLUDE_DIR} ${CUDAToolkit_INCLUDE_DIRS})
    string(APPEND BASIN_PC_CFLAGS " -I${dir}")
  endforeach()
  get_filename_component(_basin_cudnn_dir ${CUDNN_LIBRARY} DIRECTORY)
  string(APPEND BASIN_PC_LIBS " -L${CUDAToolkit_LIBRARY_DIR} -lcudart -lcublas -lcurand ${CUDNN_LIBRARY}"
                              " -Wl,-rpath,${_basin_cudnn_dir}")
endif()
if(BASIN_SAN_FLAGS)
  list(JOIN BASIN_SAN_FLAGS " " _basin_san)
  list(JOIN BASIN_SAN_LINK " " _basin_san_link)
  string(APPEND BASIN_PC_CFLAGS " ${_basin_san}")
  string(APPEND BASIN_PC_LIBS " ${_basin_san_link}")
endif()
# ${pcfiledir} keeps the file relocatable: the prefix is wherever it was installed.
file(RELATIVE_PATH BASIN_PC_UP /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" BASIN_PC_UP "${BASIN_PC_UP}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/basin.pc.in ${PROJECT_BINARY_DIR}/basin.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/basin.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# ---- examples: sources and the CMakeLists that builds them against the package ------
file(GLOB _basin_example_files ${PROJECT_SOURCE_DIR}/examples/*.cpp)
install(FILES ${_basin_example_files} ${PROJECT_SOURCE_DIR}/examples/CMakeLists.txt
              ${PROJECT_SOURCE_DIR}/examples/README.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/basin/examples)
