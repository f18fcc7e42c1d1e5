//===- CompilerModule.cpp - dualpipe._compiler: pipe-lower from Python ----===//
//
// Parses a spec, runs `pipe-lower` with the given options and writes the
// program file, as `dualpipe-opt --pipe-lower | dualpipe-translate
// --pipe-to-program` do, with the diagnostics collected into the error.
//
//===----------------------------------------------------------------------===//
#include "dualpipe/Dialect/Pipe/IR/PipeDialect.h"
#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"
#include "dualpipe/Dialect/Pipe/Transforms/Passes.h"
#include "dualpipe/Target/Export.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/SourceMgr.h"

#include <pybind11/pybind11.h>

#include <mutex>
#include <string>

namespace py = pybind11;
using namespace mlir;

namespace {

std::string compileSpec(const std::string &text, const std::string &name,
                        const std::string &options) {
  static std::once_flag registered;
  std::call_once(registered,
                 [] { dualpipe::pipe::registerPipePassesAndPipelines(); });
  DialectRegistry registry;
  registry.insert<dualpipe::pipe::PipeDialect, func::FuncDialect,
                  arith::ArithDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, name),
                               llvm::SMLoc());
  std::string diagnostics;
  llvm::raw_string_ostream diagnosticStream(diagnostics);
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagnosticStream);
  auto fail = [&](const std::string &what) -> std::string {
    std::string message = what;
    if (!diagnostics.empty())
      message += ":\n" + diagnostics;
    while (!message.empty() && message.back() == '\n')
      message.pop_back();
    throw py::value_error(message);
  };

  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    fail("spec: " + name + " does not parse");
  PassManager pm(&context);
  std::string pipelineError;
  llvm::raw_string_ostream pipelineErrors(pipelineError);
  if (failed(
          parsePassPipeline("pipe-lower{" + options + "}", pm, pipelineErrors)))
    throw py::value_error("options: " + pipelineError);
  if (failed(pm.run(*module)))
    fail("spec: " + name + " does not lower");
  FailureOr<dualpipe::pipe::ScheduleOp> schedule =
      dualpipe::pipe::findSchedule(*module, "");
  std::string program;
  llvm::raw_string_ostream os(program);
  if (failed(schedule) || failed(dualpipe::pipe::exportProgram(*schedule, os)))
    fail("spec: " + name + " gives no program file");
  return program;
}

} // namespace

PYBIND11_MODULE(_compiler, m) {
  m.doc() = "dualpipe's MLIR compiler (internal; use dualpipe.compile)";
  m.def("compile", &compileSpec);
}
