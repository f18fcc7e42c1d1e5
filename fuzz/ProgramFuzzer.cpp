//===- ProgramFuzzer.cpp - libFuzzer target: the program-file loader ------===//
//
// The MLIR- and LibTorch-free part of dualpipe-run's loader: the depth
// check and JSON parser (parseJsonText), then programFromJson with the
// core verifier. Errors are expected; a crash, a sanitizer report or a
// timeout is a finding.
//
//===----------------------------------------------------------------------===//
#include "JsonText.h"
#include "ProgramJsonTree.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string error;
  auto json = dualpipe::parseJsonText(
      std::string_view(reinterpret_cast<const char *>(data), size), error);
  if (json)
    (void)dualpipe::programFromJson(*json, error);
  return 0;
}
