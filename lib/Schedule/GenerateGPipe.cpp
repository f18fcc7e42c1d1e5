//===- GenerateGPipe.cpp - GPipe fill-drain -------------------------------===//
//
// PyTorch's ScheduleGPipe: every forward, then every full backward, both in
// micro-batch order.
//
//===----------------------------------------------------------------------===//

#include "GenerateKinds.h"

namespace dualpipe::detail {

void generateGPipe(const GenerateOptions &options, Schedule &schedule) {
  const int64_t n = options.microbatches;
  for (int64_t r = 0; r < options.ranks; ++r) {
    ProgramBuilder out(schedule.ranks[r], options);
    for (int64_t mb = 0; mb < n; ++mb)
      out.compute(OpKind::F, r, mb);
    for (int64_t mb = 0; mb < n; ++mb)
      out.compute(OpKind::B, r, mb);
  }
}

} // namespace dualpipe::detail
