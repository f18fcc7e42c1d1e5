//===- dualpipe-run.cpp - The LibTorch-free front of dualpipe-run ---------===//
//
// LibTorch's libraries take over a second and 160 MB to load and initialise,
// so this front, which links no LibTorch, answers --help and usage errors
// itself and only then execs the LibTorch half (dualpipe-run-torch, next to
// it) with the same arguments. docs/runtime.md has the measurement.
//
//===----------------------------------------------------------------------===//

#include "Cli.h"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <unistd.h>

using namespace dualpipe::runtime;

namespace {

/// dualpipe-run-torch in the directory of this executable.
std::string torchHalf() {
  char path[4096];
  ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  std::string self =
      length > 0 ? std::string(path, static_cast<size_t>(length)) : "";
  size_t slash = self.find_last_of('/');
  return (slash == std::string::npos ? std::string(".")
                                     : self.substr(0, slash)) +
         "/dualpipe-run-torch";
}

} // namespace

int main(int argc, char **argv) {
  (void)parseArgs(argc, argv);
  std::string target = torchHalf();
  argv[0] = const_cast<char *>(target.c_str());
  execv(target.c_str(), argv);
  std::cerr << "dualpipe-run: error: cannot start " << target << ": "
            << std::strerror(errno) << "\n";
  return kExitFailure;
}
