//===- Mirrors.h - End-of-step exchanges between mirror ranks ---*- C++ -*-===//
//
// Under a dual placement rank r and rank ranks-1-r hold copies of the same
// stages. Between steps (the streams idle) they swap one flat tensor per
// mirrored stage: the gradients to reduce, or the parameters to compare.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_EXECUTION_MIRRORS_H
#define DUALPIPE_RUNTIME_EXECUTION_MIRRORS_H

#include "dualpipe/Runtime/Program.h"
#include "dualpipe/Runtime/Stage.h"
#include "dualpipe/Runtime/Transport.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>

namespace dualpipe::runtime {

/// What an exchange needs of its rank.
struct MirrorLink {
  Transport &transport;
  const Placement &placement;
  int64_t rank;
  torch::ScalarType dtype;
  std::chrono::milliseconds timeout;
};

/// The mirror rank's tensor `get` for each of this rank's stages; empty
/// unless the placement is dual. Throws RankFailure naming the exchange and
/// the peer.
std::map<int64_t, torch::Tensor>
exchangeWithMirror(const MirrorLink &link,
                   std::map<int64_t, std::unique_ptr<StageWorker>> &stages,
                   ControlTag purpose,
                   const std::function<torch::Tensor(StageWorker &)> &get);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_EXECUTION_MIRRORS_H
