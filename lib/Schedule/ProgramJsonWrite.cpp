//===- ProgramJsonWrite.cpp - The program file writer ---------------------===//
//
// Writes every default the runtime would otherwise have to know (loss,
// optimizer, lr, seed, classes), so that the file alone defines the run.
//
//===----------------------------------------------------------------------===//

#include "ProgramJsonNames.h"
#include "json/AttrJson.h"
#include "json/ProgramJsonTree.h"

#include <nlohmann/json.hpp>

namespace dualpipe {

using nlohmann::json;
using program_json::opName;

std::vector<std::array<int64_t, 3>> mirrorTable(const Placement &placement) {
  std::vector<std::array<int64_t, 3>> mirrors;
  if (placement.kind != PlacementKind::Dual)
    return mirrors;
  for (int64_t s = 0; s < placement.stages; ++s)
    mirrors.push_back({s, s, placement.ranks - 1 - s});
  return mirrors;
}

namespace {

constexpr const char *kDefaultLoss = "mse";
constexpr const char *kDefaultOptimizer = "sgd";
constexpr double kDefaultLr = 0.01;

json costJson(double f, double b, double w) {
  return json{{"f", f}, {"b", b}, {"w", w}};
}

json instrToJson(const Instr &instr) {
  switch (instr.kind) {
  case InstrKind::Compute:
    return json{{"op", opName(instr.op.kind)},
                {"stage", instr.op.stage},
                {"mb", instr.op.mb}};
  case InstrKind::Send:
  case InstrKind::Recv: {
    json out{{"op", instr.kind == InstrKind::Send ? "send" : "recv"},
             {"kind", toString(instr.key.kind)},
             {"stage", instr.key.stage},
             {"mb", instr.key.mb},
             {"peer", instr.peer}};
    if (instr.token >= 0)
      out["token"] = instr.token;
    return out;
  }
  case InstrKind::Wait:
    return json{{"op", "wait"}, {"token", instr.token}};
  case InstrKind::Overlap: {
    json body = json::array();
    for (const Instr &inner : instr.body)
      body.push_back(instrToJson(inner));
    return json{{"op", "overlap"}, {"body", std::move(body)}};
  }
  }
  return json();
}

json scheduleJson(const Program &program) {
  const Placement &p = program.placement;
  return json{{"kind", program.kind ? json(toString(*program.kind)) : json()},
              {"placement", toString(p.kind)},
              {"ranks", p.ranks},
              {"stages", p.stages},
              {"microbatches", p.microbatches}};
}

json placementJson(const Placement &placement) {
  json table = json::array();
  for (int64_t r = 0; r < placement.ranks; ++r)
    table.push_back(json{{"rank", r}, {"stages", placement.stagesOn(r)}});
  return table;
}

json modelJson(const ModelSpec &model, const std::vector<StageSpec> &stages,
               const TensorSpec &message) {
  const json config = toJson(model.config);
  json out;
  out["name"] = model.name;
  out["loss"] = config.value("loss", json(kDefaultLoss));
  if (out["loss"] == "cross_entropy")
    out["classes"] =
        config.value("classes", json(vocabSize(model) ? vocabSize(model)
                                                      : message.shape.back()));
  json optimizer{{"name", config.value("optimizer", json(kDefaultOptimizer))},
                 {"lr", config.value("lr", json(kDefaultLr))}};
  for (const char *key : {"momentum", "weight_decay"})
    if (config.contains(key))
      optimizer[key] = config[key];
  out["optimizer"] = std::move(optimizer);
  out["seed"] = config.value("seed", json(0));
  out["dtype"] = message.dtype;
  json microbatch{{"size", message.shape.front()},
                  {"hidden", message.shape.back()}};
  if (message.shape.size() == 3)
    microbatch["seq_len"] = message.shape[1];
  out["microbatch"] = std::move(microbatch);
  json stageList = json::array();
  for (const StageSpec &stage : stages) {
    json layers = json::array();
    for (const LayerSpec &layer : stage.layers)
      layers.push_back(json{{"kernel", layer.kernel},
                            {"attrs", toJson(layer.attrs)},
                            {"cost", costJson(layer.f, layer.b, layer.w)}});
    stageList.push_back(json{{"stage", stage.stage},
                             {"cost", costJson(stage.f, stage.b, stage.w)},
                             {"layers", std::move(layers)}});
  }
  out["stages"] = std::move(stageList);
  return out;
}

} // namespace

json programToJson(const Program &program, const ModelSpec &model,
                   const std::vector<StageSpec> &stages,
                   const TensorSpec &message) {
  json out;
  out["format"] = kProgramFormat;
  out["version"] = kProgramVersion;
  out["schedule"] = scheduleJson(program);
  out["placement"] = placementJson(program.placement);
  if (program.placement.kind == PlacementKind::Dual)
    out["mirrors"] = mirrorTable(program.placement);
  out["message"] = json{{"shape", message.shape}, {"dtype", message.dtype}};
  TensorSpec input = inputSpec(model, message);
  out["input"] = json{{"shape", input.shape}, {"dtype", input.dtype}};
  out["model"] = modelJson(model, stages, message);
  json programs = json::array();
  for (size_t r = 0; r < program.ranks.size(); ++r) {
    json instructions = json::array();
    for (const Instr &instr : program.ranks[r])
      instructions.push_back(instrToJson(instr));
    programs.push_back(json{{"rank", static_cast<int64_t>(r)},
                            {"instructions", std::move(instructions)}});
  }
  out["programs"] = std::move(programs);
  return out;
}

std::string programToText(const Program &program, const ModelSpec &model,
                          const std::vector<StageSpec> &stages,
                          const TensorSpec &message) {
  return programToJson(program, model, stages, message).dump(1) + "\n";
}

} // namespace dualpipe
