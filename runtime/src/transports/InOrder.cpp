//===- InOrder.cpp - Can this program run on NCCL? ------------------------===//
//
// NCCL matches the k-th send of a pair with the k-th receive, and a posted
// group blocks its stream until it completes (CommGroups.h). The verifier
// proves a program deadlock-free under exactly these semantics; the NCCL
// backend runs only programs it accepts, so that a mismatch is an error at
// load, not a hang at run time.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Runtime/Transport.h"

#include "dualpipe/Schedule/ProgramJson.h"
#include "dualpipe/Schedule/Verify.h"

namespace dualpipe::runtime {

namespace {

std::string at(const InstrRef &where) {
  return where.rank < 0 ? "" : " (" + instructionPath(where) + ")";
}

} // namespace

std::string inOrderError(const Program &program) {
  VerifyOptions options;
  options.maxFindings = 1;
  options.matching = MessageMatching::InOrder;
  std::vector<Finding> findings = verifyProgram(program, options);
  if (findings.empty())
    return "";
  const Finding &finding = findings.front();
  std::string text = "--backend nccl: the program is not deadlock-free under "
                     "NCCL's in-order matching: " +
                     finding.message + at(finding.where);
  for (const Finding::Note &note : finding.notes)
    text += "; " + note.message + at(note.where);
  return text + "; compile it with --pipe-schedule-comm=policy=in-order";
}

} // namespace dualpipe::runtime
