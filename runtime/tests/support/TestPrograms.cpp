//===- TestPrograms.cpp - Program files built through the core ------------===//

#include "TestPrograms.h"

#include "ProgramJsonTree.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Model.h"

namespace dualpipe::testing {
namespace {

ModelSpec modelSpec(const TestModel &model, int64_t stages) {
  ModelSpec spec;
  spec.name = model.kernel;
  LayerSpec layer;
  layer.kernel = model.kernel;
  layer.repeat =
      model.layers > 0 ? model.layers : stages * model.layersPerStage;
  if (model.kernel == "mlp")
    layer.attrs = {{"hidden", model.hidden}, {"ffn", model.ffn}};
  else if (model.kernel == "transformer")
    layer.attrs = {
        {"hidden", model.hidden}, {"heads", model.heads}, {"ffn", model.ffn}};
  spec.layers.push_back(layer);
  spec.config = {{"loss", model.loss},
                 {"optimizer", model.optimizer},
                 {"lr", model.lr},
                 {"seed", model.seed},
                 {"microbatch_size", model.rows},
                 {"hidden", model.hidden},
                 {"dtype", model.dtype}};
  if (model.seqLen > 0)
    spec.config["seq_len"] = model.seqLen;
  if (model.loss == "cross_entropy")
    spec.config["classes"] = model.classes > 0 ? model.classes : model.hidden;
  return spec;
}

} // namespace

std::optional<nlohmann::json> buildProgramJson(const TestSchedule &schedule,
                                               const TestModel &model,
                                               std::string &error) {
  GenerateOptions options{schedule.kind, schedule.ranks, schedule.microbatches};
  options.virtualStages = schedule.virtualStages;
  options.overlap = schedule.overlap;
  std::vector<Finding> findings;
  auto generated = generateSchedule(options, findings);
  std::optional<Program> program =
      generated ? lowerSchedule(*generated,
                                ScheduleCommOptions{schedule.policy}, findings)
                : std::nullopt;
  if (!program) {
    error = firstFindingText(findings);
    return std::nullopt;
  }
  ModelSpec spec = modelSpec(model, program->placement.stages);
  auto stages = partitionStages(spec, program->placement.stages, {},
                                schedule.kind, findings);
  if (!stages) {
    error = firstFindingText(findings);
    return std::nullopt;
  }
  auto message = messageSpec(spec, error);
  if (!message)
    return std::nullopt;
  return programToJson(*program, spec, *stages, *message);
}

} // namespace dualpipe::testing
