//===- TorchCsvFuzzer.cpp - libFuzzer target: the torch CSV importer ------===//
//
// importTorchCsv reads PyTorch's pipelining schedule CSV. Errors are
// expected; a crash or sanitizer report is a finding. A schedule it accepts
// must export again without failing (exportTorchCsv).
//
//===----------------------------------------------------------------------===//
#include "dualpipe/Schedule/TorchCsv.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<dualpipe::Finding> findings;
  std::vector<dualpipe::CsvCell> cells;
  auto schedule = dualpipe::importTorchCsv(
      std::string_view(reinterpret_cast<const char *>(data), size), findings,
      &cells);
  if (schedule)
    (void)dualpipe::exportTorchCsv(*schedule);
  return 0;
}
