#pragma once
// SIGINT / SIGTERM during training: the first one only raises a flag, which the
// trainer checks between steps (finish the step, write a checkpoint, exit 130).
// A second SIGINT while that is happening restores the default action, so an
// impatient user can still kill the process.
namespace basin::train {

class StopSignalGuard {
 public:
  StopSignalGuard();   // installs the handlers and clears the flag
  ~StopSignalGuard();  // restores the previous handlers
  StopSignalGuard(const StopSignalGuard&) = delete;
  StopSignalGuard& operator=(const StopSignalGuard&) = delete;

  static bool requested();
  static int signal_number();  // the signal that asked to stop (0 if none)
  // For tests: behave as if a signal had arrived.
  static void request(int sig);
};

}  // namespace basin::train
