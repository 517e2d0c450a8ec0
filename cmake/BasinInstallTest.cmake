# ctest tests of basin as a dependency (cmake/BasinInstallCheck.cmake does the work):
#   install.find_package   installs THIS build (cmake --install, nothing is rebuilt)
#                          into a scratch prefix, checks the layout, builds the
#                          installed examples/ against it with find_package(basin),
#                          runs them briefly, and compiles one through pkg-config;
#   install.add_subdirectory  configures tests/install/ (add_subdirectory(basin)) and
#                          compiles its one source file against basin::basin.
# Each takes a few compiler runs (tens of seconds), not a rebuild of basin.
set(_basin_check ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DBUILD_DIR=${PROJECT_BINARY_DIR}
    -DCXX=${CMAKE_CXX_COMPILER} -DGENERATOR=${CMAKE_GENERATOR} -DBUILD_TYPE=${CMAKE_BUILD_TYPE})
add_test(NAME install.find_package
         COMMAND ${_basin_check} -DMODE=find_package -DWORK=${PROJECT_BINARY_DIR}/install-test/package
                 -P ${PROJECT_SOURCE_DIR}/cmake/BasinInstallCheck.cmake)
add_test(NAME install.add_subdirectory
         COMMAND ${_basin_check} -DMODE=add_subdirectory -DWORK=${PROJECT_BINARY_DIR}/install-test/subdir
                 -P ${PROJECT_SOURCE_DIR}/cmake/BasinInstallCheck.cmake)
set_tests_properties(install.find_package install.add_subdirectory PROPERTIES
                     TIMEOUT 600 LABELS install ENVIRONMENT "OMP_WAIT_POLICY=passive;OMP_NUM_THREADS=2")
