//===- LowerSchedule.cpp - The whole level-2 to level-3 lowering ----------===//
#include "dualpipe/Schedule/Lower.h"

namespace dualpipe {

std::optional<Program> lowerSchedule(const Schedule &schedule,
                                     const ScheduleCommOptions &options,
                                     std::string &error) {
  Program program = insertComm(schedule);
  fuseOverlap(program);
  if (std::vector<Finding> findings = scheduleComm(program, options);
      !findings.empty()) {
    error = findings.front().message;
    return std::nullopt;
  }
  return program;
}

} // namespace dualpipe
