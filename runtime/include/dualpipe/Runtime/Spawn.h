//===- Spawn.h - Local launcher for one process per rank --------*- C++ -*-===//
//
// `dualpipe-run --spawn` does what torchrun does on one host: it starts one
// process per rank with RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and
// MASTER_PORT set, and turns the first failure into the run's failure:
// the other ranks get `grace` to report their own view, then are killed.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_SPAWN_H
#define DUALPIPE_RUNTIME_SPAWN_H

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace dualpipe::runtime {

/// Runs `argv` (argv[0] an executable path) once per rank on 127.0.0.1 with
/// a free port. Returns 0 if every rank exited with 0, else the first
/// failing rank's exit status (128 + signal for a signal). Reports ranks that
/// died by a signal, exited non-zero, or had to be killed on `err`.
int spawnRanks(const std::vector<std::string> &argv, int64_t ranks,
               std::chrono::milliseconds grace, std::ostream &err);

/// A TCP port on 127.0.0.1 that was free a moment ago, or 0.
int freeLoopbackPort();

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_SPAWN_H
