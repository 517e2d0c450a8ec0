# oneDNN (Debian's libdnnl-dev, 2.6 as PyTorch 1.13 uses) for the CPU fast path
# of convolution and GEMM (kernels/cpu/onednn/).
#   -DBASIN_DNNL=AUTO (default): use it when found; ON: required; OFF: never
#   (basin's own reference kernels only).
# Found with find_path/find_library, not Debian's dnnl-config.cmake: that file
# makes every consumer find OpenCL (its GPU runtime), which basin never uses.
# Sets BASIN_WITH_DNNL and the interface target basin_dnnl.
set(BASIN_DNNL "AUTO" CACHE STRING "oneDNN CPU fast path: AUTO (when libdnnl-dev is found), ON, OFF")
set_property(CACHE BASIN_DNNL PROPERTY STRINGS AUTO ON OFF)
set(BASIN_WITH_DNNL OFF)
add_library(basin_dnnl INTERFACE)
set_target_properties(basin_dnnl PROPERTIES EXPORT_NAME dnnl)
if(NOT BASIN_DNNL STREQUAL "OFF")
  find_path(BASIN_DNNL_INCLUDE oneapi/dnnl/dnnl.hpp)
  find_library(BASIN_DNNL_LIB NAMES dnnl)
  if(BASIN_DNNL_INCLUDE AND BASIN_DNNL_LIB)
    set(BASIN_WITH_DNNL ON)
    target_include_directories(basin_dnnl INTERFACE $<BUILD_INTERFACE:${BASIN_DNNL_INCLUDE}>)
    target_link_libraries(basin_dnnl INTERFACE ${BASIN_DNNL_LIB})
    # No installed header needs the define: only basin's sources and its tests see it.
    target_compile_definitions(basin_dnnl INTERFACE $<BUILD_INTERFACE:BASIN_WITH_DNNL=1>)
  elseif(BASIN_DNNL STREQUAL "ON")
    message(FATAL_ERROR "BASIN_DNNL=ON but oneDNN was not found (install libdnnl-dev, or -DBASIN_DNNL=OFF)")
  endif()
endif()
