#include "train/signals.h"

#include <csignal>

namespace basin::train {

namespace {

volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_old_int, g_old_term;

extern "C" void on_stop_signal(int sig) {
  if (g_signal != 0) {
    // A second SIGINT or SIGTERM: give up on the orderly stop and exit at once
    // (the last checkpoint on disk is complete: it is replaced atomically).
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_signal = sig;
}

}  // namespace

StopSignalGuard::StopSignalGuard() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

StopSignalGuard::~StopSignalGuard() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

bool StopSignalGuard::requested() { return g_signal != 0; }
int StopSignalGuard::signal_number() { return g_signal; }
void StopSignalGuard::request(int sig) { g_signal = sig; }

}  // namespace basin::train
