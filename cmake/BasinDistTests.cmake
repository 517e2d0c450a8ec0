# Data-parallel tests (tests/dist/), built when MPI was found. One binary,
# basin_dist_tests, two kinds of tests:
#   DistCli.*   run `mpirun -np 2 basin train ...` themselves and compare runs
#               (ctest runs them as usual, one process);
#   MpiRanks.*  check the collectives from inside a 2-process job: ctest starts
#               the binary under mpirun (they skip when run alone).
# mpirun flags: CI runs as root (--allow-run-as-root), 2 cores (--oversubscribe),
# containers without CMA (vader's single-copy off), no network wanted (self,vader).
file(GLOB BASIN_DIST_TEST_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/dist/*.cpp)
add_executable(basin_dist_tests ${BASIN_DIST_TEST_SOURCES})
target_compile_options(basin_dist_tests PRIVATE ${BASIN_WARNINGS})
target_link_libraries(basin_dist_tests PRIVATE basin_mpi basin GTest::gtest)
target_include_directories(basin_dist_tests PRIVATE ${PROJECT_SOURCE_DIR}/tests)
set(BASIN_MPIRUN_FLAGS --allow-run-as-root --oversubscribe --mca btl self,vader
                       --mca btl_vader_single_copy_mechanism none)
string(REPLACE ";" " " _mpirun_flags_str "${BASIN_MPIRUN_FLAGS}")
target_compile_definitions(basin_dist_tests PRIVATE BASIN_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                           BASIN_BINARY_DIR="${PROJECT_BINARY_DIR}"
                           BASIN_MPIRUN="${MPIEXEC_EXECUTABLE} ${_mpirun_flags_str}")
add_dependencies(basin_dist_tests basin_cli)
gtest_discover_tests(basin_dist_tests TEST_PREFIX "dist." DISCOVERY_TIMEOUT 60
                     PROPERTIES ENVIRONMENT "OMP_WAIT_POLICY=passive;OMP_NUM_THREADS=1" TIMEOUT 300)
add_test(NAME dist.MpiRanks.two_processes
         COMMAND ${MPIEXEC_EXECUTABLE} ${BASIN_MPIRUN_FLAGS} -np 2 $<TARGET_FILE:basin_dist_tests>
                 --gtest_filter=MpiRanks.*)
set_tests_properties(dist.MpiRanks.two_processes PROPERTIES TIMEOUT 120
                     ENVIRONMENT "OMP_WAIT_POLICY=passive;OMP_NUM_THREADS=1")
