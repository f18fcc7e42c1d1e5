//===- Checkpoint.h - Saving and resuming training --------------*- C++ -*-===//
//
// A checkpoint is a directory per saved step, DIR/step-NNNNNNNN/, holding one
// file per layer (its parameters and optimizer state, raw tensor bytes) and a
// JSON manifest that describes every file. Layers are keyed by their global
// index in the model, never by stage or rank, so a checkpoint written under
// one schedule kind and rank count loads under any other. DIR/latest names
// the newest complete step. Every file is written to a temporary name and
// renamed, and `latest` moves only after the manifest is in place, so a
// crash mid-save leaves the previous checkpoint intact. docs/checkpoints.md
// describes the format.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_MODEL_CHECKPOINT_H
#define DUALPIPE_RUNTIME_MODEL_CHECKPOINT_H

#include "dualpipe/Runtime/Program.h"
#include "dualpipe/Runtime/Stage.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace dualpipe::runtime {

/// Reads DIR/latest and its manifest and checks the manifest against the
/// program's model: layer count, each layer's kernel, optimizer and dtype.
/// Returns the checkpoint's step (the number of steps it has trained), or
/// nullopt with `error` naming the file and the first difference. Also
/// restores this process's default CPU generator from the manifest.
std::optional<int64_t> openCheckpoint(const std::string &dir,
                                      const LoadedProgram &program,
                                      std::string &error);

/// Loads every layer of `stages` from DIR's latest checkpoint: parameters
/// and optimizer state. Throws std::runtime_error naming the file and the
/// tensor on a missing or corrupt file or a shape that differs.
void loadStages(const std::string &dir, const LoadedProgram &program,
                const std::map<int64_t, std::unique_ptr<StageWorker>> &stages);

/// Writes the layers of the stages this rank owns (a stage held twice is
/// written by its lower rank) for checkpoint `step` and returns their
/// manifest entries, serialized, for rank 0's writeManifest.
std::string
saveStages(const std::string &dir, int64_t step, const LoadedProgram &program,
           int64_t rank,
           const std::map<int64_t, std::unique_ptr<StageWorker>> &stages);

/// Rank 0, after every rank's saveStages: writes the manifest from the
/// ranks' entries, then points DIR/latest at `step`.
void writeManifest(const std::string &dir, int64_t step,
                   const LoadedProgram &program,
                   const std::vector<std::string> &rankEntries);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_MODEL_CHECKPOINT_H
