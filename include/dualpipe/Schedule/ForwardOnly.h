//===- ForwardOnly.h - Inference orders derived from training ---*- C++ -*-===//
//
// The one statement of what a forward-only (inference or evaluation) order
// keeps of a training order: every forward, on the rank and in the relative
// order the training order gives it, the forward half of an overlapped pair
// running alone; no backward-family op. The generators apply it to level 2
// (GenerateOptions::forwardOnly); the runtime derives its evaluation program
// from a compiled training program with it (docs/training.md), so that an
// evaluation runs the schedule's own forward order without a second
// compilation.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_FORWARDONLY_H
#define DUALPIPE_SCHEDULE_FORWARDONLY_H

#include "dualpipe/Schedule/Schedule.h"

#include <vector>

namespace dualpipe {

/// Whether a forward-only order keeps `op`: the forwards.
bool keptForwardOnly(const ComputeOp &op);

/// Level 2: the kept ops of one rank's training steps, in order, each a
/// single step (an overlapped pair contributes its forward alone).
std::vector<Step> forwardOnlySteps(const std::vector<Step> &training);

/// Level 3: the forward-only program of a training program. Each rank keeps
/// its kept computes (an overlap's forward moves out of its body, with the
/// body's kept messages around it in their order), the activation sends and
/// receives, and the waits on their tokens; gradient messages and their
/// waits go. Tokens keep their ids, so they stay unique. Every kept
/// instruction's blocking condition involves kept instructions only, so
/// the training program's execution restricted to them is one of the
/// derived program's: a deadlock-free training program gives a
/// deadlock-free forward-only one (verifyProgram proves it for each
/// program it is given).
Program forwardOnlyProgram(const Program &training);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_FORWARDONLY_H
