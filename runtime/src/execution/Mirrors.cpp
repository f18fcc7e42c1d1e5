//===- Mirrors.cpp - End-of-step exchanges between mirror ranks -----------===//

#include "execution/Mirrors.h"

#include "dualpipe/Runtime/Executor.h"

#include <string>
#include <tuple>
#include <vector>

namespace dualpipe::runtime {

// All receives and sends are posted before any wait, so the two ranks cannot
// block each other.
std::map<int64_t, torch::Tensor>
exchangeWithMirror(const MirrorLink &link,
                   std::map<int64_t, std::unique_ptr<StageWorker>> &stages,
                   ControlTag purpose,
                   const std::function<torch::Tensor(StageWorker &)> &get) {
  std::map<int64_t, torch::Tensor> received;
  const Placement &placement = link.placement;
  if (placement.kind != PlacementKind::Dual)
    return received;
  int64_t peer = placement.ranks - 1 - link.rank;
  std::string what =
      std::string("mirror ") +
      (purpose == ControlTag::MirrorGrads ? "gradient exchange"
                                          : "parameter comparison") +
      " with rank " + std::to_string(peer);
  std::vector<std::tuple<int64_t, std::unique_ptr<CommHandle>,
                         std::unique_ptr<CommHandle>>>
      posted;
  Transport &transport = link.transport;
  try {
    // One post group: NCCL must see both directions at once.
    transport.beginGroup();
    for (auto &[stage, worker] : stages) {
      torch::Tensor mine = get(*worker);
      if (mine.numel() == 0)
        continue;
      int64_t tag = controlTag(purpose, stage, placement);
      auto recv = transport.recv(peer, tag, {mine.numel()}, link.dtype);
      auto send = transport.send(peer, tag, mine);
      posted.emplace_back(stage, std::move(recv), std::move(send));
    }
    transport.endGroup(what);
    transport.checkAsync();
    for (auto &[stage, recv, send] : posted) {
      received[stage] = recv->wait(link.timeout);
      send->wait(link.timeout);
    }
  } catch (const CommError &e) {
    throw RankFailure(link.rank, what + ": " + e.what(), e.aborted());
  }
  return received;
}

} // namespace dualpipe::runtime
