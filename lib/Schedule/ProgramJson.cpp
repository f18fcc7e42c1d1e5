//===- ProgramJson.cpp - The program file (compiler -> runtime) -----------===//

#include "dualpipe/Schedule/ProgramJson.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Limits.h"

#include <map>
#include <set>

namespace dualpipe {

using nlohmann::json;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

namespace {

constexpr const char *kDefaultLoss = "mse";
constexpr const char *kDefaultOptimizer = "sgd";
constexpr double kDefaultLr = 0.01;

std::string_view opName(OpKind kind) {
  switch (kind) {
  case OpKind::F:
    return "forward";
  case OpKind::B:
    return "backward";
  case OpKind::I:
    return "backward_input";
  case OpKind::W:
    return "backward_weight";
  }
  return "forward";
}

std::optional<OpKind> parseOpName(std::string_view name) {
  for (OpKind kind : {OpKind::F, OpKind::B, OpKind::I, OpKind::W})
    if (opName(kind) == name)
      return kind;
  return std::nullopt;
}

std::optional<MsgKind> parseMsgKind(std::string_view name) {
  for (MsgKind kind : {MsgKind::Activation, MsgKind::Gradient})
    if (toString(kind) == name)
      return kind;
  return std::nullopt;
}

std::string describe(const ComputeOp &op) {
  return std::string(1, toChar(op.kind)) + "(stage " +
         std::to_string(op.stage) + ", mb " + std::to_string(op.mb) + ")";
}

std::string describe(const MsgKey &key) {
  return std::string(toString(key.kind)) + " stage " +
         std::to_string(key.stage) + " mb " + std::to_string(key.mb);
}

} // namespace

std::vector<std::array<int64_t, 3>> mirrorTable(const Placement &placement) {
  std::vector<std::array<int64_t, 3>> mirrors;
  if (placement.kind != PlacementKind::Dual)
    return mirrors;
  for (int64_t s = 0; s < placement.stages; ++s)
    mirrors.push_back({s, s, placement.ranks - 1 - s});
  return mirrors;
}

std::string instructionPath(const InstrRef &ref) {
  std::string path = "programs[" + std::to_string(ref.rank) + "]";
  for (size_t i = 0; i < ref.path.size(); ++i)
    path += (i == 0 ? ".instructions[" : ".body[") +
            std::to_string(ref.path[i]) + "]";
  return path;
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

namespace {

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
  const json &config = model.config.is_object() ? model.config : json::object();
  json out;
  out["name"] = model.name;
  out["loss"] = config.value("loss", json(kDefaultLoss));
  if (out["loss"] == "cross_entropy")
    out["classes"] = config.value("classes", json(message.shape.back()));
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
                            {"attrs", layer.attrs},
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

//===----------------------------------------------------------------------===//
// Reader: fields
//===----------------------------------------------------------------------===//

namespace {

/// Thrown inside the reader only; programFromJson turns it into `error`.
struct ReadError {
  std::string message;
};

[[noreturn]] void fail(const std::string &path, const std::string &message) {
  throw ReadError{path + ": " + message};
}

std::string child(const std::string &path, const std::string &key) {
  return path.empty() ? key : path + "." + key;
}

std::string index(const std::string &path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

const json &field(const json &object, const std::string &path,
                  const char *key) {
  if (!object.is_object())
    fail(path.empty() ? "<root>" : path, "expected an object");
  auto it = object.find(key);
  if (it == object.end())
    fail(child(path, key), "missing");
  return *it;
}

int64_t integerValue(const json &value, const std::string &path, int64_t min) {
  if (!value.is_number_integer())
    fail(path, "expected an integer, got " + value.dump());
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    fail(path, "integer out of range");
  int64_t v = value.get<int64_t>();
  if (v < min)
    fail(path,
         "must be >= " + std::to_string(min) + ", got " + std::to_string(v));
  return v;
}

int64_t integerField(const json &object, const std::string &path,
                     const char *key, int64_t min) {
  return integerValue(field(object, path, key), child(path, key), min);
}

double numberField(const json &object, const std::string &path,
                   const char *key) {
  const json &value = field(object, path, key);
  if (!value.is_number())
    fail(child(path, key), "expected a number, got " + value.dump());
  return value.get<double>();
}

double costField(const json &object, const std::string &path, const char *key) {
  double cost = numberField(object, path, key);
  if (std::string bad = checkCost("cost", cost); !bad.empty())
    fail(child(path, key), bad);
  return cost;
}

std::string stringField(const json &object, const std::string &path,
                        const char *key) {
  const json &value = field(object, path, key);
  if (!value.is_string())
    fail(child(path, key), "expected a string, got " + value.dump());
  return value.get<std::string>();
}

std::string oneOf(const json &object, const std::string &path, const char *key,
                  std::initializer_list<const char *> allowed) {
  std::string value = stringField(object, path, key);
  std::string list;
  for (const char *option : allowed) {
    if (value == option)
      return value;
    list += std::string(list.empty() ? "" : ", ") + "\"" + option + "\"";
  }
  fail(child(path, key), "expected one of " + list + ", got \"" + value + "\"");
}

const json &arrayField(const json &object, const std::string &path,
                       const char *key) {
  const json &value = field(object, path, key);
  if (!value.is_array())
    fail(child(path, key), "expected an array");
  return value;
}

std::vector<int64_t> integerList(const json &array, const std::string &path,
                                 int64_t min) {
  std::vector<int64_t> values;
  for (size_t i = 0; i < array.size(); ++i)
    values.push_back(integerValue(array[i], index(path, i), min));
  return values;
}

//===----------------------------------------------------------------------===//
// Reader: sections
//===----------------------------------------------------------------------===//

void readHeader(const json &root) {
  if (!root.is_object())
    fail("<root>", "expected an object");
  std::string format = stringField(root, "", "format");
  if (format != kProgramFormat)
    fail("format", "expected \"" + std::string(kProgramFormat) + "\", got \"" +
                       format + "\"");
  int64_t version = integerField(root, "", "version", 0);
  if (version != kProgramVersion)
    fail("version", "unsupported version " + std::to_string(version) +
                        " (this build reads version " +
                        std::to_string(kProgramVersion) + ")");
}

void readSchedule(const json &root, Program &program) {
  const std::string path = "schedule";
  const json &schedule = field(root, "", "schedule");
  const json &kind = field(schedule, path, "kind");
  if (!kind.is_null()) {
    if (!kind.is_string() || !parseScheduleKind(kind.get<std::string>()))
      fail(path + ".kind", "unknown schedule kind " + kind.dump());
    program.kind = parseScheduleKind(kind.get<std::string>());
  }
  std::string placementName = stringField(schedule, path, "placement");
  auto placementKind = parsePlacementKind(placementName);
  if (!placementKind)
    fail(path + ".placement", "unknown placement \"" + placementName + "\"");
  Placement &p = program.placement;
  p.kind = *placementKind;
  p.ranks = integerField(schedule, path, "ranks", 1);
  p.stages = integerField(schedule, path, "stages", 1);
  p.microbatches = integerField(schedule, path, "microbatches", 1);
  if (std::string bad = p.checkSizes(); !bad.empty())
    fail(path, bad);
  if (program.kind && !allowsPlacement(*program.kind, p.kind))
    fail(path + ".placement",
         "schedule " + std::string(toString(*program.kind)) + " uses " +
             std::string(toString(placementFor(*program.kind))) +
             " placement, not " + placementName);
}

void readPlacementTables(const json &root, const Placement &placement) {
  const json &table = arrayField(root, "", "placement");
  if (static_cast<int64_t>(table.size()) != placement.ranks)
    fail("placement", "has " + std::to_string(table.size()) +
                          " entries, expected one per rank (" +
                          std::to_string(placement.ranks) + ")");
  for (size_t r = 0; r < table.size(); ++r) {
    std::string path = index("placement", r);
    if (integerField(table[r], path, "rank", 0) != static_cast<int64_t>(r))
      fail(path + ".rank", "expected " + std::to_string(r));
    auto stages =
        integerList(arrayField(table[r], path, "stages"), path + ".stages", 0);
    auto expected = placement.stagesOn(static_cast<int64_t>(r));
    if (stages != expected)
      fail(path + ".stages", "does not match the " +
                                 std::string(toString(placement.kind)) +
                                 " placement " + json(expected).dump());
  }
  bool dual = placement.kind == PlacementKind::Dual;
  if (!dual) {
    if (root.contains("mirrors"))
      fail("mirrors", "only a dual placement has mirrors");
    return;
  }
  const json &mirrors = arrayField(root, "", "mirrors");
  auto expected = mirrorTable(placement);
  if (mirrors.size() != expected.size())
    fail("mirrors", "expected one entry per stage (" +
                        std::to_string(expected.size()) + ")");
  for (size_t i = 0; i < mirrors.size(); ++i) {
    std::string path = index("mirrors", i);
    if (!mirrors[i].is_array())
      fail(path, "expected [stage, rankA, rankB]");
    auto entry = integerList(mirrors[i], path, 0);
    if (entry != std::vector<int64_t>(expected[i].begin(), expected[i].end()))
      fail(path, "expected " + json(expected[i]).dump() + ", got " +
                     mirrors[i].dump());
  }
}

TensorSpec readMessage(const json &root) {
  const json &message = field(root, "", "message");
  TensorSpec spec;
  const json &shape = arrayField(message, "message", "shape");
  if (shape.size() < 2 || shape.size() > 3)
    fail("message.shape", "expected [rows, hidden] or [rows, seq, hidden]");
  spec.shape = integerList(shape, "message.shape", 1);
  spec.dtype = oneOf(message, "message", "dtype", {"float32", "float64"});
  return spec;
}

LayerSpec readLayer(const json &layer, const std::string &path) {
  LayerSpec spec;
  spec.kernel = stringField(layer, path, "kernel");
  if (spec.kernel.empty())
    fail(path + ".kernel", "must not be empty");
  if (layer.contains("attrs")) {
    if (!layer["attrs"].is_object())
      fail(path + ".attrs", "expected an object");
    spec.attrs = layer["attrs"];
  }
  if (layer.contains("cost")) {
    const json &cost = layer["cost"];
    spec.f = costField(cost, path + ".cost", "f");
    spec.b = costField(cost, path + ".cost", "b");
    spec.w = costField(cost, path + ".cost", "w");
  }
  return spec;
}

std::vector<StageSpec> readStages(const json &model, int64_t stageCount) {
  const json &stages = arrayField(model, "model", "stages");
  if (static_cast<int64_t>(stages.size()) != stageCount)
    fail("model.stages", "has " + std::to_string(stages.size()) +
                             " entries, the schedule has " +
                             std::to_string(stageCount) + " stages");
  std::vector<StageSpec> result;
  for (size_t s = 0; s < stages.size(); ++s) {
    std::string path = index("model.stages", s);
    StageSpec stage;
    stage.stage = integerField(stages[s], path, "stage", 0);
    if (stage.stage != static_cast<int64_t>(s))
      fail(path + ".stage", "expected " + std::to_string(s));
    const json &layers = arrayField(stages[s], path, "layers");
    if (layers.empty())
      fail(path + ".layers", "a stage needs at least one layer");
    for (size_t l = 0; l < layers.size(); ++l) {
      LayerSpec layer = readLayer(layers[l], index(path + ".layers", l));
      stage.f += layer.f;
      stage.b += layer.b;
      stage.w += layer.w;
      stage.layers.push_back(std::move(layer));
    }
    result.push_back(std::move(stage));
  }
  return result;
}

/// The "model" section, as ModelSpec.config keys (see Model.h).
json readModelConfig(const json &model, const TensorSpec &message) {
  const std::string path = "model";
  json config;
  config["loss"] = oneOf(model, path, "loss", {"mse", "cross_entropy"});
  if (config["loss"] == "cross_entropy") {
    int64_t classes = integerField(model, path, "classes", 1);
    if (classes > message.shape.back())
      fail(path + ".classes", std::to_string(classes) +
                                  " classes exceed the hidden size " +
                                  std::to_string(message.shape.back()));
    config["classes"] = classes;
  }
  const json &optimizer = field(model, path, "optimizer");
  config["optimizer"] =
      oneOf(optimizer, path + ".optimizer", "name", {"sgd", "adam"});
  config["lr"] = numberField(optimizer, path + ".optimizer", "lr");
  for (const char *key : {"momentum", "weight_decay"})
    if (optimizer.is_object() && optimizer.contains(key))
      config[key] = numberField(optimizer, path + ".optimizer", key);
  config["seed"] = integerField(model, path, "seed", 0);
  config["dtype"] = oneOf(model, path, "dtype", {"float32", "float64"});
  if (config["dtype"] != message.dtype)
    fail(path + ".dtype", "differs from message.dtype");
  const json &microbatch = field(model, path, "microbatch");
  std::string mbPath = path + ".microbatch";
  config["microbatch_size"] = integerField(microbatch, mbPath, "size", 1);
  config["hidden"] = integerField(microbatch, mbPath, "hidden", 1);
  if (microbatch.contains("seq_len"))
    config["seq_len"] = integerField(microbatch, mbPath, "seq_len", 1);
  std::vector<int64_t> shape{config["microbatch_size"].get<int64_t>()};
  if (config.contains("seq_len"))
    shape.push_back(config["seq_len"].get<int64_t>());
  shape.push_back(config["hidden"].get<int64_t>());
  if (shape != message.shape)
    fail(mbPath, "implies message shape " + json(shape).dump() +
                     ", but message.shape is " + json(message.shape).dump());
  return config;
}

//===----------------------------------------------------------------------===//
// Reader: instructions
//===----------------------------------------------------------------------===//

MsgKey readKey(const json &object, const std::string &path,
               const Placement &placement) {
  MsgKey key;
  std::string kind = oneOf(object, path, "kind", {"activation", "grad"});
  key.kind = *parseMsgKind(kind);
  key.stage = integerField(object, path, "stage", 0);
  key.mb = integerField(object, path, "mb", 0);
  if (key.stage >= placement.stages)
    fail(path + ".stage", "stage " + std::to_string(key.stage) +
                              " out of range (the schedule has " +
                              std::to_string(placement.stages) + " stages)");
  if (key.mb >= placement.microbatches)
    fail(path + ".mb", "micro-batch " + std::to_string(key.mb) +
                           " out of range (the schedule has " +
                           std::to_string(placement.microbatches) + ")");
  return key;
}

Instr readInstr(const json &object, const std::string &path,
                const Placement &placement, bool insideOverlap) {
  Instr instr;
  std::string op = stringField(object, path, "op");
  if (auto kind = parseOpName(op)) {
    instr.kind = InstrKind::Compute;
    instr.op.kind = *kind;
    instr.op.stage = integerField(object, path, "stage", 0);
    instr.op.mb = integerField(object, path, "mb", 0);
    if (instr.op.stage >= placement.stages)
      fail(path + ".stage", "stage " + std::to_string(instr.op.stage) +
                                " out of range (the schedule has " +
                                std::to_string(placement.stages) + " stages)");
    if (instr.op.mb >= placement.microbatches)
      fail(path + ".mb", "micro-batch " + std::to_string(instr.op.mb) +
                             " out of range (the schedule has " +
                             std::to_string(placement.microbatches) + ")");
  } else if (op == "send" || op == "recv") {
    instr.kind = op == "send" ? InstrKind::Send : InstrKind::Recv;
    instr.key = readKey(object, path, placement);
    instr.peer = integerField(object, path, "peer", 0);
    if (instr.peer >= placement.ranks)
      fail(path + ".peer", "rank " + std::to_string(instr.peer) +
                               " out of range (the schedule has " +
                               std::to_string(placement.ranks) + " ranks)");
    if (instr.kind == InstrKind::Recv || object.contains("token"))
      instr.token = integerField(object, path, "token", 0);
  } else if (op == "wait") {
    instr.kind = InstrKind::Wait;
    instr.token = integerField(object, path, "token", 0);
  } else if (op == "overlap") {
    if (insideOverlap)
      fail(path, "overlap regions do not nest");
    instr.kind = InstrKind::Overlap;
    const json &body = arrayField(object, path, "body");
    for (size_t i = 0; i < body.size(); ++i)
      instr.body.push_back(
          readInstr(body[i], index(path + ".body", i), placement, true));
  } else {
    fail(path + ".op", "unknown op \"" + op + "\"");
  }
  return instr;
}

std::vector<std::vector<Instr>> readPrograms(const json &root,
                                             const Placement &placement) {
  const json &programs = arrayField(root, "", "programs");
  if (static_cast<int64_t>(programs.size()) != placement.ranks)
    fail("programs", "has " + std::to_string(programs.size()) +
                         " entries, expected one per rank (" +
                         std::to_string(placement.ranks) + ")");
  std::vector<std::vector<Instr>> ranks;
  for (size_t r = 0; r < programs.size(); ++r) {
    std::string path = index("programs", r);
    if (integerField(programs[r], path, "rank", 0) != static_cast<int64_t>(r))
      fail(path + ".rank", "expected " + std::to_string(r));
    const json &instructions = arrayField(programs[r], path, "instructions");
    std::vector<Instr> list;
    for (size_t i = 0; i < instructions.size(); ++i)
      list.push_back(readInstr(
          instructions[i], index(path + ".instructions", i), placement, false));
    ranks.push_back(std::move(list));
  }
  return ranks;
}

//===----------------------------------------------------------------------===//
// Reader: cross-instruction checks
//===----------------------------------------------------------------------===//

struct FlatInstr {
  const Instr *instr;
  InstrRef ref;
};

std::vector<FlatInstr> flatten(int64_t rank, const std::vector<Instr> &list) {
  std::vector<FlatInstr> flat;
  for (size_t i = 0; i < list.size(); ++i) {
    InstrRef ref{rank, {static_cast<int64_t>(i)}};
    if (list[i].kind != InstrKind::Overlap) {
      flat.push_back({&list[i], ref});
      continue;
    }
    for (size_t j = 0; j < list[i].body.size(); ++j)
      flat.push_back(
          {&list[i].body[j],
           InstrRef{rank, {static_cast<int64_t>(i), static_cast<int64_t>(j)}}});
  }
  return flat;
}

[[noreturn]] void failAt(const InstrRef &ref, const std::string &message) {
  throw ReadError{instructionPath(ref) + ": " + message};
}

void checkOverlapBody(const Instr &overlap, const InstrRef &ref) {
  int forwards = 0, backwards = 0;
  for (const Instr &inner : overlap.body)
    if (inner.kind == InstrKind::Compute)
      ++(inner.op.kind == OpKind::F ? forwards : backwards);
  if (forwards != 1 || backwards != 1)
    failAt(ref, "an overlap needs exactly one forward and one backward-family "
                "op, found " +
                    std::to_string(forwards) + " and " +
                    std::to_string(backwards));
}

/// The rank that produces a message and the one that consumes it.
std::pair<int64_t, int64_t> messageEnds(const MsgKey &key,
                                        const Placement &placement) {
  int64_t consumerStage =
      key.kind == MsgKind::Activation ? key.stage + 1 : key.stage - 1;
  return {placement.rankOf(key.stage, key.mb),
          placement.rankOf(consumerStage, key.mb)};
}

void checkPlacement(const FlatInstr &flat, const Placement &placement) {
  const Instr &instr = *flat.instr;
  int64_t rank = flat.ref.rank;
  if (instr.kind == InstrKind::Compute) {
    const ComputeOp &op = instr.op;
    if (!placement.holds(rank, op.stage))
      failAt(flat.ref, "stage " + std::to_string(op.stage) +
                           " is not placed on rank " + std::to_string(rank));
    int64_t owner = placement.rankOf(op.stage, op.mb);
    if (owner != rank)
      failAt(flat.ref, describe(op) + " belongs to rank " +
                           std::to_string(owner) + " (direction " +
                           std::to_string(placement.direction(op.mb)) + ")");
    return;
  }
  if (instr.kind != InstrKind::Send && instr.kind != InstrKind::Recv)
    return;
  const MsgKey &key = instr.key;
  bool activation = key.kind == MsgKind::Activation;
  if (activation ? key.stage + 1 >= placement.stages : key.stage == 0)
    failAt(flat.ref, "no stage consumes the " + describe(key));
  auto [producer, consumer] = messageEnds(key, placement);
  bool send = instr.kind == InstrKind::Send;
  int64_t self = send ? producer : consumer, peer = send ? consumer : producer;
  std::string what = std::string(send ? "send " : "recv ") + describe(key);
  if (self != rank)
    failAt(flat.ref, what + " belongs on rank " + std::to_string(self) +
                         ", not rank " + std::to_string(rank));
  if (instr.peer != peer)
    failAt(flat.ref, what + " has peer " + std::to_string(instr.peer) +
                         ", expected rank " + std::to_string(peer));
}

/// Tokens are defined once and waited once; a recv's token must be waited,
/// an async send's token may be left for the end of the program.
void checkTokens(const std::vector<FlatInstr> &flat) {
  struct TokenState {
    InstrRef definedAt;
    bool recv = false;
    bool waited = false;
  };
  std::map<int64_t, TokenState> tokens;
  for (const FlatInstr &f : flat) {
    const Instr &instr = *f.instr;
    if ((instr.kind == InstrKind::Send || instr.kind == InstrKind::Recv) &&
        instr.token >= 0) {
      auto [it, inserted] = tokens.try_emplace(
          instr.token, TokenState{f.ref, instr.kind == InstrKind::Recv});
      if (!inserted)
        failAt(f.ref, "token " + std::to_string(instr.token) +
                          " is already defined at " +
                          instructionPath(it->second.definedAt));
    } else if (instr.kind == InstrKind::Wait) {
      auto it = tokens.find(instr.token);
      if (it == tokens.end())
        failAt(f.ref, "waits on token " + std::to_string(instr.token) +
                          ", which no earlier send or recv defines");
      if (it->second.waited)
        failAt(f.ref,
               "token " + std::to_string(instr.token) + " is waited twice");
      it->second.waited = true;
    }
  }
  for (const auto &[token, state] : tokens)
    if (state.recv && !state.waited)
      failAt(state.definedAt, "token " + std::to_string(token) +
                                  " of this recv is never waited");
}

/// Every compute finds its input (a waited recv or an earlier local
/// producer) and every send follows the compute that produces its message,
/// so the runtime never looks for a tensor that cannot be there.
void checkDataFlow(const std::vector<FlatInstr> &flat,
                   const Placement &placement) {
  std::set<MsgKey> available;
  std::map<int64_t, MsgKey> pendingRecvs;
  for (const FlatInstr &f : flat) {
    const Instr &instr = *f.instr;
    switch (instr.kind) {
    case InstrKind::Recv:
      pendingRecvs[instr.token] = instr.key;
      break;
    case InstrKind::Wait:
      if (auto it = pendingRecvs.find(instr.token); it != pendingRecvs.end())
        available.insert(it->second);
      break;
    case InstrKind::Send:
      if (!available.count(instr.key))
        failAt(f.ref, "sends the " + describe(instr.key) +
                          " before this rank computes it");
      break;
    case InstrKind::Compute: {
      const ComputeOp &op = instr.op;
      bool forward = op.kind == OpKind::F;
      bool needsInput =
          forward ? op.stage > 0
                  : op.kind != OpKind::W && op.stage + 1 < placement.stages;
      MsgKey input{forward ? MsgKind::Activation : MsgKind::Gradient,
                   forward ? op.stage - 1 : op.stage + 1, op.mb};
      if (needsInput && !available.count(input))
        failAt(f.ref, describe(op) + " needs the " + describe(input) +
                          ", which no earlier wait or compute on this rank "
                          "provides");
      if (forward)
        available.insert(MsgKey{MsgKind::Activation, op.stage, op.mb});
      else if (op.kind != OpKind::W)
        available.insert(MsgKey{MsgKind::Gradient, op.stage, op.mb});
      break;
    }
    case InstrKind::Overlap:
      break;
    }
  }
}

/// Every send has exactly one recv with the same (source, destination, key)
/// and vice versa.
void checkMatching(const std::vector<std::vector<FlatInstr>> &ranks) {
  using Channel = std::tuple<int64_t, int64_t, MsgKey>;
  std::map<Channel, std::vector<InstrRef>> sends, recvs;
  for (const auto &flat : ranks)
    for (const FlatInstr &f : flat) {
      const Instr &instr = *f.instr;
      if (instr.kind == InstrKind::Send)
        sends[{f.ref.rank, instr.peer, instr.key}].push_back(f.ref);
      else if (instr.kind == InstrKind::Recv)
        recvs[{instr.peer, f.ref.rank, instr.key}].push_back(f.ref);
    }
  auto report = [](const std::map<Channel, std::vector<InstrRef>> &mine,
                   const std::map<Channel, std::vector<InstrRef>> &theirs,
                   bool send) {
    for (const auto &[channel, refs] : mine) {
      auto it = theirs.find(channel);
      size_t matched = it == theirs.end() ? 0 : it->second.size();
      if (refs.size() <= matched)
        continue;
      auto [src, dst, key] = channel;
      int64_t peer = send ? dst : src;
      failAt(refs[matched],
             std::string(send ? "send " : "recv ") + describe(key) +
                 (send ? " to rank " : " from rank ") + std::to_string(peer) +
                 " has no matching " + (send ? "recv" : "send") + " on rank " +
                 std::to_string(peer));
    }
  };
  report(sends, recvs, true);
  report(recvs, sends, false);
}

void checkPrograms(const Program &program) {
  std::vector<std::vector<FlatInstr>> flatRanks;
  for (size_t r = 0; r < program.ranks.size(); ++r) {
    const auto &list = program.ranks[r];
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i].kind == InstrKind::Overlap)
        checkOverlapBody(list[i], InstrRef{static_cast<int64_t>(r),
                                           {static_cast<int64_t>(i)}});
    auto flat = flatten(static_cast<int64_t>(r), list);
    for (const FlatInstr &f : flat)
      checkPlacement(f, program.placement);
    checkTokens(flat);
    checkDataFlow(flat, program.placement);
    flatRanks.push_back(std::move(flat));
  }
  checkMatching(flatRanks);
}

} // namespace

std::optional<ProgramFile> programFromJson(const json &root,
                                           std::string &error) {
  try {
    readHeader(root);
    ProgramFile file;
    readSchedule(root, file.program);
    const Placement &placement = file.program.placement;
    readPlacementTables(root, placement);
    file.message = readMessage(root);
    const json &model = field(root, "", "model");
    file.model.name = stringField(model, "model", "name");
    file.model.config = readModelConfig(model, file.message);
    file.stages = readStages(model, placement.stages);
    for (const StageSpec &stage : file.stages)
      file.model.layers.insert(file.model.layers.end(), stage.layers.begin(),
                               stage.layers.end());
    file.program.ranks = readPrograms(root, placement);
    checkPrograms(file.program);
    return file;
  } catch (const ReadError &e) {
    error = e.message;
  } catch (const std::exception &e) {
    // A type the checks above did not anticipate; report rather than crash.
    error = std::string("malformed program file: ") + e.what();
  }
  return std::nullopt;
}

} // namespace dualpipe
