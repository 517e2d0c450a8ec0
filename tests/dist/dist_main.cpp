// main() of basin_dist_tests: GoogleTest, then MPI's orderly end when a test
// started it (MpiRanks.* under mpirun), so that mpirun sees every rank finish.
#include <gtest/gtest.h>

#include "dist/communicator.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  basin::dist::finish(rc);
  return rc;
}
