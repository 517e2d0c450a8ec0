#pragma once
// RunLock: one writer per run folder. `basin train` holds an exclusive flock on
// RUNDIR/.lock for the run's whole life (new run or --resume); the file holds the
// holder's PID. A second writer fails at once, naming that PID; the kernel drops
// the lock when the holder exits, however it exits (kill -9 included), so a stale
// .lock file never blocks anyone. Commands that only read a run folder (eval,
// hessian, plot) take no lock.
#include <string>

namespace basin::train {

class RunLock {
 public:
  RunLock() = default;
  // Locks `folder`/.lock (creating the file) or throws naming the folder and the
  // holder's PID.
  explicit RunLock(const std::string& folder);
  ~RunLock();
  RunLock(RunLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RunLock& operator=(RunLock&& o) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  bool held() const { return fd_ >= 0; }
  static std::string file_in(const std::string& folder) { return folder + "/.lock"; }

 private:
  int fd_ = -1;
};

}  // namespace basin::train
