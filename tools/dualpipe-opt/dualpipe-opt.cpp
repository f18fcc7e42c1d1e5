//===- dualpipe-opt.cpp - pipe dialect optimizer driver -------------------===//
#include "dualpipe/Dialect/Pipe/IR/PipeDialect.h"
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"

/// libLLVM registers hundreds of code-generator flags before main; none
/// applies to the pipe passes. They stay usable and listed by --help-hidden,
/// so that --help shows the passes and MLIR's driver options.
static void hideBackendOptions() {
  for (auto &entry : llvm::cl::getRegisteredOptions()) {
    llvm::StringRef name = entry.first;
    if (name == "help" || name == "help-list" || name == "version" ||
        name == "color" || name.starts_with("mlir-"))
      continue;
    entry.second->setHiddenFlag(llvm::cl::Hidden);
  }
}

/// A verifier error at a whole schedule would print the schedule again in
/// generic form; the message and its location say what is wrong. The flag
/// still turns the dump back on.
static void dontPrintOpOnDiagnostic() {
  mlir::registerMLIRContextCLOptions();
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find("mlir-print-op-on-diagnostic");
  if (it != options.end())
    static_cast<llvm::cl::opt<bool> *>(it->second)->setInitialValue(false);
}

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<dualpipe::pipe::PipeDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect>();
  hideBackendOptions();
  dontPrintOpOnDiagnostic();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  dualpipe::pipe::registerPipePassesAndPipelines();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "dualpipe optimizer: pipe dialect passes\n", registry));
}
