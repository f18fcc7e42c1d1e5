//===- MakeTestProgram.cpp - Program files without the compiler ----------===//
//
// Test helper (not installed, not a user tool): writes a program file built
// through the core library, for runtime-only builds where the MLIR compiler
// is absent and for the examples in docs/runtime.md.
//
//   dualpipe-make-test-program KIND RANKS MICROBATCHES OUT.json
//       [kernel=mlp] [hidden=16] [seq_len=0] [loss=mse] [policy=eager]
//
//===----------------------------------------------------------------------===//

#include "TestPrograms.h"

#include <fstream>
#include <iostream>

using namespace dualpipe;
using namespace dualpipe::testing;

int main(int argc, char **argv) {
  if (argc < 5) {
    std::cerr << "usage: dualpipe-make-test-program KIND RANKS MICROBATCHES "
                 "OUT.json [key=value...]\n";
    return 2;
  }
  TestSchedule schedule;
  auto kind = parseScheduleKind(argv[1]);
  if (!kind) {
    std::cerr << "unknown schedule kind " << argv[1] << "\n";
    return 2;
  }
  schedule.kind = *kind;
  schedule.ranks = std::stoll(argv[2]);
  schedule.microbatches = std::stoll(argv[3]);
  TestModel model;
  for (int i = 5; i < argc; ++i) {
    std::string arg = argv[i];
    size_t eq = arg.find('=');
    std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
    if (key == "kernel")
      model.kernel = value;
    else if (key == "hidden")
      model.hidden = std::stoll(value);
    else if (key == "seq_len")
      model.seqLen = std::stoll(value);
    else if (key == "loss")
      model.loss = value;
    else if (key == "policy" && parseCommPolicy(value))
      schedule.policy = *parseCommPolicy(value);
    else {
      std::cerr << "unknown setting " << arg << "\n";
      return 2;
    }
  }
  std::string error;
  auto json = buildProgramJson(schedule, model, error);
  if (!json) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  std::ofstream out(argv[4]);
  out << json->dump(1) << "\n";
  return out ? 0 : 1;
}
