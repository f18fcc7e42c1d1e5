//===- LowerSchedule.cpp - The whole level-2 to level-3 lowering ----------===//
#include "dualpipe/Schedule/Lower.h"

namespace dualpipe {

std::optional<Program> lowerSchedule(const Schedule &schedule,
                                     const ScheduleCommOptions &options,
                                     std::vector<Finding> &findings) {
  Program program = insertComm(schedule);
  fuseOverlap(program);
  if (std::vector<Finding> refused = scheduleComm(program, options);
      !refused.empty()) {
    findings.insert(findings.end(), refused.begin(), refused.end());
    return std::nullopt;
  }
  return program;
}

} // namespace dualpipe
