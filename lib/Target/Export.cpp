//===- Export.cpp - pipe IR exporters and importers -----------------------===//
#include "dualpipe/Target/Export.h"

#include "dualpipe/Dialect/Pipe/IR/ModelSpec.h"
#include "dualpipe/Dialect/Pipe/IR/ScheduleModel.h"
#include "dualpipe/Schedule/ElementTypes.h"
#include "dualpipe/Schedule/Model.h"
#include "dualpipe/Schedule/ProgramJson.h"
#include "dualpipe/Schedule/Render.h"
#include "dualpipe/Schedule/Report.h"
#include "dualpipe/Schedule/TorchCsv.h"
#include "dualpipe/Schedule/TorchCsvComms.h"
#include "dualpipe/Schedule/Verify.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace dualpipe::pipe;

FailureOr<ScheduleOp> dualpipe::pipe::findSchedule(ModuleOp module,
                                                   StringRef name) {
  SmallVector<ScheduleOp> schedules(module.getOps<ScheduleOp>());
  if (!name.empty()) {
    for (ScheduleOp schedule : schedules)
      if (schedule.getSymName() == name)
        return schedule;
    return module.emitError() << "no pipe.schedule named @" << name;
  }
  if (schedules.size() == 1)
    return schedules.front();
  if (schedules.empty())
    return module.emitError()
           << "no pipe.schedule in the input; run dualpipe-opt "
              "--pipe-generate-schedule or --pipe-lower first";
  return module.emitError() << "the input has " << schedules.size()
                            << " pipe.schedule ops; pick one with --schedule";
}

static LogicalResult requireLevel3(ScheduleOp schedule, StringRef what) {
  if (schedule.isProgram())
    return success();
  return schedule.emitOpError()
         << "has no communication (level 2); " << what
         << " needs a lowered schedule: run dualpipe-opt --pipe-lower first";
}

LogicalResult dualpipe::pipe::exportTorchCsv(ScheduleOp schedule,
                                             raw_ostream &os, bool comms) {
  OriginTable origins;
  if (!comms) {
    os << dualpipe::exportTorchCsv(readSchedule(schedule, origins));
    return success();
  }
  if (failed(requireLevel3(schedule, "the compute_comms export")))
    return failure();
  os << dualpipe::exportTorchCsvComms(readProgram(schedule, origins));
  return success();
}

OwningOpRef<ModuleOp> dualpipe::pipe::importTorchCsv(llvm::SourceMgr &sourceMgr,
                                                     MLIRContext *context,
                                                     bool verify) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  StringRef filename = buffer->getBufferIdentifier();
  Location fileLoc = FileLineColLoc::get(context, filename, 0, 0);
  std::vector<dualpipe::Finding> findings;
  std::vector<dualpipe::CsvCell> cells;
  std::optional<dualpipe::Schedule> schedule =
      dualpipe::importTorchCsv(buffer->getBuffer(), findings, &cells);
  if (!schedule) {
    // A finding at row R, column C becomes a diagnostic at file:R:C.
    for (const dualpipe::Finding &finding : findings)
      emitError(finding.row > 0
                    ? Location(FileLineColLoc::get(
                          context, filename, static_cast<unsigned>(finding.row),
                          static_cast<unsigned>(finding.column)))
                    : fileLoc)
          << finding.message;
    return nullptr;
  }
  OpBuilder builder(context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  ScheduleOp scheduleOp = writeSchedule(builder, fileLoc, "main", *schedule);

  // Point every op at its cell and every rank at its row, so that
  // diagnostics name file:row:column.
  for (RankOp rank : scheduleOp.getRankOps())
    rank->setLoc(FileLineColLoc::get(
        context, filename, static_cast<unsigned>(rank.getId() + 1), 1));
  OriginTable origins;
  (void)readSchedule(scheduleOp, origins); // origin i = i-th step written
  size_t stepIndex = 0;
  for (const std::vector<dualpipe::Step> &steps : schedule->ranks)
    for (const dualpipe::Step &step : steps) {
      Operation *op = origins.lookup(static_cast<int64_t>(stepIndex++));
      if (!op || step.origin < 0 ||
          step.origin >= static_cast<int64_t>(cells.size()))
        continue;
      const dualpipe::CsvCell &cell = cells[step.origin];
      Location loc = FileLineColLoc::get(context, filename,
                                         static_cast<unsigned>(cell.row),
                                         static_cast<unsigned>(cell.column));
      op->setLoc(loc);
      op->walk([&](Operation *nested) { nested->setLoc(loc); });
    }
  if (!verify)
    return module;
  if (failed(mlir::verify(*module)))
    return nullptr;
  OriginTable verifyOrigins;
  if (failed(emitFindings(
          dualpipe::verifySchedule(readSchedule(scheduleOp, verifyOrigins)),
          verifyOrigins, scheduleOp)))
    return nullptr;
  return module;
}

/// The model, stages and message type the runtime needs, from the spec the
/// schedule was compiled from.
namespace {
struct CompiledModel {
  dualpipe::ModelSpec model;
  std::vector<dualpipe::StageSpec> stages;
  dualpipe::TensorSpec message;
};
} // namespace

static FailureOr<CompiledModel> compiledModelOf(ScheduleOp schedule) {
  if (!schedule.getModel())
    return schedule.emitOpError()
           << "names no model; the program needs one: compile a spec with a "
              "pipe.model (dualpipe-opt spec.mlir --pipe-lower)";
  auto modelOp = SymbolTable::lookupNearestSymbolFrom<ModelOp>(
      schedule, schedule.getModelAttr());
  if (!modelOp)
    return schedule.emitOpError()
           << "model '" << *schedule.getModel() << "' does not exist";
  CompiledModel compiled;
  compiled.model = readModelSpec(modelOp);
  std::vector<int64_t> layout;
  if (schedule.getLayout())
    layout.assign(schedule.getLayout()->begin(), schedule.getLayout()->end());
  std::vector<dualpipe::Finding> findings;
  std::optional<std::vector<dualpipe::StageSpec>> stages =
      dualpipe::partitionStages(compiled.model,
                                static_cast<int64_t>(schedule.getStages()),
                                layout, findings);
  if (!stages) {
    (void)emitPartitionFindings(std::move(findings), schedule, modelOp);
    return failure();
  }
  compiled.stages = std::move(*stages);
  if (schedule.getMessage()) {
    compiled.message =
        tensorSpecFor(cast<RankedTensorType>(*schedule.getMessage()));
  } else {
    std::string error;
    std::optional<dualpipe::TensorSpec> message =
        dualpipe::messageSpec(compiled.model, error);
    if (!message)
      return modelOp.emitOpError() << error;
    compiled.message = *message;
  }
  return compiled;
}

LogicalResult dualpipe::pipe::exportProgram(ScheduleOp schedule,
                                            raw_ostream &os) {
  if (failed(requireLevel3(schedule, "the program file")))
    return failure();
  FailureOr<CompiledModel> compiled = compiledModelOf(schedule);
  if (failed(compiled))
    return failure();
  OriginTable origins;
  dualpipe::Program program = readProgram(schedule, origins);
  std::vector<dualpipe::Finding> findings = dualpipe::verifyProgram(program);
  if (failed(emitFindings(findings, origins, schedule)))
    return failure();
  os << dualpipe::programToText(program, compiled->model, compiled->stages,
                                compiled->message);
  return success();
}

//===----------------------------------------------------------------------===//
// Cost model and simulation.
//===----------------------------------------------------------------------===//

static double bytesPerElement(const std::string &dtype) {
  // The model checks reject any other name before a cost is computed.
  const dualpipe::ElementTypeInfo *type = dualpipe::findElementType(dtype);
  return type ? type->bytes : 4;
}

static double elementCount(const dualpipe::TensorSpec &spec) {
  double count = 1;
  for (int64_t dim : spec.shape)
    count *= static_cast<double>(dim);
  return count;
}

/// Parameters of one layer: `param_count` when the layer gives it, else the
/// built-in kernels' exact counts (weights and biases).
static double parameterCount(const dualpipe::LayerSpec &layer,
                             const dualpipe::AttrMap &config) {
  auto get = [](const dualpipe::AttrMap &map, const char *key) -> double {
    return map.getNumber(key).value_or(0.0);
  };
  if (layer.attrs.contains("param_count"))
    return get(layer.attrs, "param_count");
  double hidden = get(layer.attrs, "hidden");
  if (hidden == 0)
    hidden = get(config, "hidden");
  double ffn = get(layer.attrs, "ffn");
  if (ffn == 0)
    ffn = 4 * hidden;
  double mlp = 2 * hidden * ffn + ffn + hidden;
  if (layer.kernel == "mlp")
    return mlp;
  if (layer.kernel == "transformer")
    return 4 * hidden * hidden + 4 * hidden + mlp + 4 * hidden;
  return 0;
}

FailureOr<dualpipe::CostModel>
dualpipe::pipe::costModelFor(ScheduleOp schedule, StringRef overrides) {
  dualpipe::CostModel cost;
  if (schedule.getModel()) {
    FailureOr<CompiledModel> compiled = compiledModelOf(schedule);
    if (failed(compiled))
      return failure();
    double elementBytes = bytesPerElement(compiled->message.dtype);
    double messageBytes = elementCount(compiled->message) * elementBytes;
    for (const dualpipe::StageSpec &stage : compiled->stages) {
      dualpipe::StageCost stageCost;
      stageCost.f = stage.f;
      stageCost.b = stage.b;
      stageCost.w = stage.w;
      stageCost.activationBytes = messageBytes;
      stageCost.messageBytes = messageBytes;
      double params = 0;
      for (const dualpipe::LayerSpec &layer : stage.layers)
        params += parameterCount(layer, compiled->model.config);
      stageCost.paramBytes = params * elementBytes;
      cost.stages.push_back(stageCost);
    }
  }
  std::string error = dualpipe::applyCostOverrides(cost, overrides.str());
  if (error.empty())
    error = cost.validate();
  if (!error.empty())
    return schedule.emitOpError() << "bad cost model: " << error;
  return cost;
}

FailureOr<dualpipe::SimResult> dualpipe::pipe::simulate(ScheduleOp schedule,
                                                        StringRef overrides) {
  FailureOr<dualpipe::CostModel> cost = costModelFor(schedule, overrides);
  if (failed(cost))
    return failure();
  OriginTable origins;
  std::vector<dualpipe::Finding> findings;
  std::optional<dualpipe::SimResult> result =
      schedule.isProgram()
          ? dualpipe::simulate(readProgram(schedule, origins), *cost, findings)
          : dualpipe::simulate(readSchedule(schedule, origins), *cost,
                               findings);
  if (!result) {
    if (findings.empty())
      return schedule.emitOpError() << "cannot be simulated";
    (void)emitFindings(findings, origins, schedule);
    return failure();
  }
  return std::move(*result);
}

LogicalResult dualpipe::pipe::exportReport(ScheduleOp schedule, raw_ostream &os,
                                           StringRef overrides,
                                           ReportFormat format) {
  FailureOr<dualpipe::SimResult> result = simulate(schedule, overrides);
  if (failed(result))
    return failure();
  if (format == ReportFormat::Json)
    os << dualpipe::renderReportJson(*result, /*indent=*/2) << "\n";
  else
    os << dualpipe::renderReportText(*result);
  return success();
}

LogicalResult dualpipe::pipe::exportSvg(ScheduleOp schedule, raw_ostream &os,
                                        StringRef overrides) {
  FailureOr<dualpipe::SimResult> result = simulate(schedule, overrides);
  if (failed(result))
    return failure();
  os << dualpipe::renderSvg(*result, dualpipe::SvgOptions());
  return success();
}

LogicalResult dualpipe::pipe::exportChromeTrace(ScheduleOp schedule,
                                                raw_ostream &os,
                                                StringRef overrides) {
  FailureOr<dualpipe::SimResult> result = simulate(schedule, overrides);
  if (failed(result))
    return failure();
  os << dualpipe::renderChromeTrace(*result);
  return success();
}
