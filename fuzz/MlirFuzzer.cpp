//===- MlirFuzzer.cpp - libFuzzer target: .mlir parser and --pipe-lower ---===//
//
// Parses the input as a .mlir module with the pipe dialect (which runs the
// op verifiers) and, when that succeeds, runs --pipe-lower with the options
// the module's pipe.pipeline op states. Errors are expected; a crash, a
// sanitizer report, a leak or a timeout is a finding.
//
//===----------------------------------------------------------------------===//
#include "dualpipe/Dialect/Pipe/IR/PipeDialect.h"
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdint>
#include <cstdlib>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    r->insert<dualpipe::pipe::PipeDialect, func::FuncDialect,
              arith::ArithDialect>();
    dualpipe::pipe::registerPipePassesAndPipelines();
    return r;
  }();
  // One thread: the fuzzer measures and reproduces one input at a time.
  MLIRContext context(*registry, MLIRContext::Threading::DISABLED);
  context.getDiagEngine().registerHandler([](Diagnostic &) {});
  llvm::SourceMgr sources;
  sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.mlir"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sources, &context);
  if (!module)
    return 0;
  PassManager pm(&context);
  if (failed(parsePassPipeline("builtin.module(pipe-lower)", pm)))
    std::abort();
  (void)pm.run(*module);
  return 0;
}
