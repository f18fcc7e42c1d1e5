//===- SpinWait.h - Spin briefly before sleeping ----------------*- C++ -*-===//
//
// The executor's hand-offs (the overlap lane, in-process messages) usually
// complete within tens of microseconds, while waking a thread that sleeps on
// a condition variable costs a futex wake-up, several times that on a
// virtual machine. So a waiter first spins, yielding the CPU, for a bounded
// time, then sleeps as before.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_SPINWAIT_H
#define DUALPIPE_RUNTIME_SPINWAIT_H

#include <chrono>
#include <thread>

namespace dualpipe::runtime {

inline constexpr std::chrono::microseconds kSpinTime{50};

/// Returns once `done()` holds or kSpinTime has passed; the caller then
/// blocks as usual if it still has to.
template <typename Done> void spinBriefly(Done done) {
  auto until = std::chrono::steady_clock::now() + kSpinTime;
  while (!done() && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
}

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_SPINWAIT_H
