//===- dualpipe-translate.cpp - pipe IR <-> external formats --------------===//
//
// mlir-translate style: exactly one translation flag picks what is read and
// written. Options carry values (--pipe-to-torch-csv=comms), so this driver
// parses its own command line instead of using mlirTranslateMain.
//
//===----------------------------------------------------------------------===//
#include "dualpipe/Dialect/Pipe/IR/PipeDialect.h"
#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"
#include "dualpipe/Target/Export.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace llvm;
using namespace dualpipe::pipe;

static cl::OptionCategory category("dualpipe-translate options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<input file>"),
                                          cl::init("-"), cl::cat(category));
static cl::opt<std::string> outputFilename("o", cl::desc("Output filename"),
                                           cl::value_desc("filename"),
                                           cl::init("-"), cl::cat(category));

static cl::opt<std::string> toTorchCsv(
    "pipe-to-torch-csv", cl::ValueOptional, cl::value_desc("compute|comms"),
    cl::desc("Schedule -> PyTorch action CSV (compute actions, or with "
             "=comms also SEND/RECV)"),
    cl::cat(category));
static cl::opt<bool> fromTorchCsv(
    "torch-csv-to-pipe",
    cl::desc("PyTorch action CSV -> verified level-2 pipe.schedule @main"),
    cl::cat(category));
static cl::opt<bool>
    toProgram("pipe-to-program",
              cl::desc("Lowered schedule -> runtime program file (JSON)"),
              cl::cat(category));
static cl::opt<bool>
    toReport("pipe-to-report",
             cl::desc("Schedule -> simulated bubble/memory report"),
             cl::cat(category));
static cl::opt<bool> toSvg("pipe-to-svg",
                           cl::desc("Schedule -> SVG timeline (simulated)"),
                           cl::cat(category));
static cl::opt<bool> toChromeTrace(
    "pipe-to-chrome-trace",
    cl::desc("Schedule -> Chrome trace JSON of the simulated timeline"),
    cl::cat(category));

static cl::opt<std::string>
    reportFormat("report-format",
                 cl::desc("--pipe-to-report output: text or json"),
                 cl::init("text"), cl::cat(category));
static cl::opt<std::string>
    costOverrides("cost",
                  cl::desc("Override the spec's costs uniformly, e.g. "
                           "f=1,b=2,w=1,fb=3,latency=0.1,bandwidth=1e9"),
                  cl::init(""), cl::cat(category));
static cl::opt<std::string>
    scheduleName("schedule", cl::desc("Name of the pipe.schedule to export"),
                 cl::init(""), cl::cat(category));
static cl::opt<bool> noVerify(
    "no-verify",
    cl::desc("--torch-csv-to-pipe: import without verifying the schedule"),
    cl::cat(category));

namespace {
enum class Translation { ToCsv, FromCsv, ToProgram, ToReport, ToSvg, ToTrace };
} // namespace

static FailureOr<Translation> selectTranslation() {
  SmallVector<std::pair<bool, Translation>> flags = {
      {toTorchCsv.getNumOccurrences() > 0, Translation::ToCsv},
      {fromTorchCsv, Translation::FromCsv},
      {toProgram, Translation::ToProgram},
      {toReport, Translation::ToReport},
      {toSvg, Translation::ToSvg},
      {toChromeTrace, Translation::ToTrace}};
  std::optional<Translation> chosen;
  for (auto [given, translation] : flags) {
    if (!given)
      continue;
    if (chosen) {
      errs() << "dualpipe-translate: give exactly one translation flag\n";
      return failure();
    }
    chosen = translation;
  }
  if (!chosen) {
    errs() << "dualpipe-translate: no translation given; use one of "
              "--pipe-to-torch-csv, --torch-csv-to-pipe, --pipe-to-program, "
              "--pipe-to-report, --pipe-to-svg, --pipe-to-chrome-trace "
              "(see --help)\n";
    return failure();
  }
  if (*chosen == Translation::ToCsv && !toTorchCsv.empty() &&
      toTorchCsv != "compute" && toTorchCsv != "comms") {
    errs() << "dualpipe-translate: --pipe-to-torch-csv takes compute or "
              "comms, got '"
           << toTorchCsv << "'\n";
    return failure();
  }
  if (reportFormat != "text" && reportFormat != "json") {
    errs() << "dualpipe-translate: --report-format takes text or json, got '"
           << reportFormat << "'\n";
    return failure();
  }
  return *chosen;
}

static LogicalResult exportSchedule(Translation translation,
                                    ScheduleOp schedule, raw_ostream &os) {
  switch (translation) {
  case Translation::ToCsv:
    return exportTorchCsv(schedule, os, toTorchCsv == "comms");
  case Translation::ToProgram:
    return exportProgram(schedule, os);
  case Translation::ToReport:
    return exportReport(schedule, os, costOverrides,
                        reportFormat == "json" ? ReportFormat::Json
                                               : ReportFormat::Text);
  case Translation::ToSvg:
    return exportSvg(schedule, os, costOverrides);
  case Translation::ToTrace:
    return exportChromeTrace(schedule, os, costOverrides);
  case Translation::FromCsv:
    break;
  }
  llvm_unreachable("import is not an export");
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "dualpipe-translate: pipe schedules <-> PyTorch CSV, program files, "
      "reports and pictures\n");

  FailureOr<Translation> translation = selectTranslation();
  if (failed(translation))
    return 1;

  std::string errorMessage;
  std::unique_ptr<MemoryBuffer> input =
      openInputFile(inputFilename, &errorMessage);
  if (!input) {
    errs() << "dualpipe-translate: " << errorMessage << "\n";
    return 1;
  }

  DialectRegistry registry;
  registry.insert<PipeDialect, func::FuncDialect, arith::ArithDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // The diagnostics name the op and its location; a dump of the op would
  // bury them.
  context.printOpOnDiagnostic(false);
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  // Write only on success: a failed translation leaves no partial output.
  std::string result;
  raw_string_ostream os(result);
  if (*translation == Translation::FromCsv) {
    OwningOpRef<ModuleOp> module =
        importTorchCsv(sourceMgr, &context, /*verify=*/!noVerify);
    if (!module)
      return 1;
    module->print(os);
    os << "\n";
  } else {
    OwningOpRef<ModuleOp> module =
        parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
    if (!module)
      return 1;
    FailureOr<ScheduleOp> schedule = findSchedule(*module, scheduleName);
    if (failed(schedule) || failed(exportSchedule(*translation, *schedule, os)))
      return 1;
  }

  std::unique_ptr<ToolOutputFile> output =
      openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    errs() << "dualpipe-translate: " << errorMessage << "\n";
    return 1;
  }
  output->os() << result;
  output->keep();
  return 0;
}
