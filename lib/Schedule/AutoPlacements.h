//===- AutoPlacements.h - The placements kind=auto searches -----*- C++ -*-===//
//
// Private to lib/Schedule. With unequal chunks (an embedding on the first
// rank, a head on the last) every one-stage-per-rank placement, and the V
// and dual ones, leave a rank with a heavy chunk's whole work; interleaving
// cuts every chunk into v stages spread over all ranks, so the heavy ones
// share their work with light ones. The search tries the fixed kinds'
// placements and the interleaving that balances the ranks' work best.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_LIB_SCHEDULE_AUTOPLACEMENTS_H
#define DUALPIPE_LIB_SCHEDULE_AUTOPLACEMENTS_H

#include "dualpipe/Schedule/Cost.h"
#include "dualpipe/Schedule/Schedule.h"

#include <cstdint>
#include <vector>

namespace dualpipe::detail {

/// Interleaving depths (stages per rank) tried beyond 2, for the balance.
inline constexpr int64_t kMaxAutoVirtualStages = 4;

/// The heaviest rank's compute time per micro-batch (F + B of every stage it
/// holds) on the interleaved placement with v stages per rank, the chunk
/// costs `chunks` (one per rank) split evenly into v stages each.
double heaviestRankWork(const CostModel &chunks, int64_t ranks, int64_t v);

/// The units a cut moves stage boundaries by in a chunk whose layers are
/// not known: twelfths, so that halves, thirds and quarters stay exact.
inline constexpr int64_t kCutUnitsPerChunk = 12;

/// Each rank's compute time per micro-batch (F + B of every stage it holds)
/// on `placement` under the per-stage costs `stages`.
std::vector<double> rankWork(const Placement &placement,
                             const CostModel &stages);

/// The cut of the model into the stages of `placement` that balances the
/// ranks' work better than the even split, or empty if none does. The
/// chunks have chunkUnits[c] units (kCutUnitsPerChunk each if empty).
/// Standard and dual move the stage boundaries across the chunks to the
/// balanced layout of the units (balancedUnitLayout), the same for both;
/// V and interleaved keep the chunk boundaries and cut every chunk where
/// the ranks' loads even out.
StageCut balancedCut(const CostModel &chunks, const Placement &placement,
                     const std::vector<int64_t> &chunkUnits);

/// Standard, V, dual and interleaved with 2 stages per rank; then the
/// interleaving in 3..min(kMaxAutoVirtualStages, maxVirtualStages) whose
/// heaviest rank works least, if it works strictly less than with 2. Sizes
/// the placements do not allow are left for the caller to skip
/// (Placement::checkSizes).
std::vector<Placement> autoPlacements(const CostModel &chunks, int64_t ranks,
                                      int64_t microbatches,
                                      int64_t maxVirtualStages);

} // namespace dualpipe::detail

#endif // DUALPIPE_LIB_SCHEDULE_AUTOPLACEMENTS_H
