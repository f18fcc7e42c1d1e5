//===- Finding.cpp - Findings as text
//--------------------------------------===//
#include "dualpipe/Schedule/Finding.h"

namespace dualpipe {

Finding fieldFinding(std::string field, std::string message) {
  Finding finding;
  finding.message = std::move(message);
  finding.field = std::move(field);
  return finding;
}

std::string instructionPath(const InstrRef &ref) {
  std::string path = "programs[" + std::to_string(ref.rank) + "]";
  for (size_t i = 0; i < ref.path.size(); ++i)
    path += (i == 0 ? ".instructions[" : ".body[") +
            std::to_string(ref.path[i]) + "]";
  return path;
}

std::string findingText(const Finding &finding) {
  if (finding.row > 0)
    return "row " + std::to_string(finding.row) + ", column " +
           std::to_string(finding.column) + ": " + finding.message;
  if (finding.where.rank < 0)
    return finding.message;
  return instructionPath(finding.where) + ": " + finding.message;
}

std::string firstFindingText(const std::vector<Finding> &findings) {
  return findings.empty() ? std::string() : findingText(findings.front());
}

std::string joinFindings(const std::vector<Finding> &findings) {
  std::string out;
  for (const Finding &f : findings) {
    if (!out.empty())
      out += '\n';
    out += f.message;
  }
  return out;
}

} // namespace dualpipe
