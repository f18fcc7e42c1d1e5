//===- ProgramJsonRead.cpp - The program file reader ----------------------===//
//
// Reads the fields of a program file into the core model, then states no
// rule of its own: what makes the level-3 program valid is verifyProgram's,
// so the loader and --pipe-verify-schedule cannot disagree. Errors start with
// the JSON path of the culprit.
//
//===----------------------------------------------------------------------===//

#include "ProgramJsonNames.h"
#include "dualpipe/Schedule/ElementTypes.h"
#include "dualpipe/Schedule/Generate.h"
#include "dualpipe/Schedule/Kernels.h"
#include "dualpipe/Schedule/Limits.h"
#include "json/AttrJson.h"
#include "json/JsonText.h"
#include "json/ProgramJsonTree.h"

#include <nlohmann/json.hpp>

namespace dualpipe {

using nlohmann::json;

using program_json::parseMsgKind;
using program_json::parseOpName;

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

std::string elementTypeField(const json &object, const std::string &path,
                             const char *key) {
  std::string value = stringField(object, path, key);
  if (!findElementType(value))
    fail(child(path, key),
         "expected one of " + elementTypeNames() + ", got \"" + value + "\"");
  return value;
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
  spec.dtype = elementTypeField(message, "message", "dtype");
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
    spec.attrs = attrMapFromJson(layer["attrs"]);
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
    config["classes"] = integerField(model, path, "classes", 1);
  }
  const json &optimizer = field(model, path, "optimizer");
  config["optimizer"] =
      oneOf(optimizer, path + ".optimizer", "name", {"sgd", "adam"});
  config["lr"] = numberField(optimizer, path + ".optimizer", "lr");
  for (const char *key : {"momentum", "weight_decay"})
    if (optimizer.is_object() && optimizer.contains(key))
      config[key] = numberField(optimizer, path + ".optimizer", key);
  config["seed"] = integerField(model, path, "seed", 0);
  config["dtype"] = elementTypeField(model, path, "dtype");
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

/// Logits are the first `classes` columns of the last layer's output: the
/// message, or an lm_head's vocabulary-wide logits.
void checkClasses(const ModelSpec &model, const TensorSpec &message) {
  std::optional<int64_t> given = model.config.getInt("classes");
  if (!given || model.layers.back().kernel == kLmHeadKernel)
    return;
  int64_t classes = *given;
  if (classes > message.shape.back())
    fail("model.classes", std::to_string(classes) +
                              " classes exceed the hidden size " +
                              std::to_string(message.shape.back()));
}

/// "input" is optional (files from before it default to what the model
/// implies) but must agree with the model when present.
TensorSpec readInput(const json &root, const ModelSpec &model,
                     const TensorSpec &message) {
  TensorSpec expected = inputSpec(model, message);
  if (!root.contains("input"))
    return expected;
  const json &input = field(root, "", "input");
  TensorSpec spec;
  spec.shape =
      integerList(arrayField(input, "input", "shape"), "input.shape", 1);
  // Anything but the expected dtype is refused below.
  spec.dtype = stringField(input, "input", "dtype");
  if (spec != expected)
    fail("input",
         "is " + json(spec.shape).dump() + " " + spec.dtype +
             ", but the model (" +
             (expected.dtype == "int64" ? "first layer embedding: token ids"
                                        : "no embedding: the message") +
             ") reads " + json(expected.shape).dump() + " " + expected.dtype);
  return spec;
}

//===----------------------------------------------------------------------===//
// Reader: instructions
//===----------------------------------------------------------------------===//

/// Fields only: ranges, peers and every cross-instruction rule are
/// verifyProgram's, which names the instruction by the same JSON path.
MsgKey readKey(const json &object, const std::string &path) {
  MsgKey key;
  std::string kind = oneOf(object, path, "kind", {"activation", "grad"});
  key.kind = *parseMsgKind(kind);
  key.stage = integerField(object, path, "stage", 0);
  key.mb = integerField(object, path, "mb", 0);
  return key;
}

Instr readInstr(const json &object, const std::string &path) {
  Instr instr;
  std::string op = stringField(object, path, "op");
  if (auto kind = parseOpName(op)) {
    instr.kind = InstrKind::Compute;
    instr.op.kind = *kind;
    instr.op.stage = integerField(object, path, "stage", 0);
    instr.op.mb = integerField(object, path, "mb", 0);
  } else if (op == "send" || op == "recv") {
    instr.kind = op == "send" ? InstrKind::Send : InstrKind::Recv;
    instr.key = readKey(object, path);
    instr.peer = integerField(object, path, "peer", 0);
    if (instr.kind == InstrKind::Recv || object.contains("token"))
      instr.token = integerField(object, path, "token", 0);
  } else if (op == "wait") {
    instr.kind = InstrKind::Wait;
    instr.token = integerField(object, path, "token", 0);
  } else if (op == "overlap") {
    // A nested body is read as written; the verifier rejects it.
    instr.kind = InstrKind::Overlap;
    const json &body = arrayField(object, path, "body");
    for (size_t i = 0; i < body.size(); ++i)
      instr.body.push_back(readInstr(body[i], index(path + ".body", i)));
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
      list.push_back(
          readInstr(instructions[i], index(path + ".instructions", i)));
    ranks.push_back(std::move(list));
  }
  return ranks;
}

} // namespace

VerifyOptions loadVerifyOptions() {
  VerifyOptions options;
  options.maxFindings = 1;
  return options;
}

std::optional<ProgramFile> programFromJson(const json &root,
                                           std::string &error) {
  return programFromJson(root, error, loadVerifyOptions());
}

std::optional<ProgramFile> programFromJson(const json &root, std::string &error,
                                           const VerifyOptions &verify) {
  try {
    readHeader(root);
    ProgramFile file;
    readSchedule(root, file.program);
    const Placement &placement = file.program.placement;
    readPlacementTables(root, placement);
    file.message = readMessage(root);
    const json &model = field(root, "", "model");
    file.model.name = stringField(model, "model", "name");
    file.model.config = attrMapFromJson(readModelConfig(model, file.message));
    file.stages = readStages(model, placement.stages);
    for (const StageSpec &stage : file.stages)
      file.model.layers.insert(file.model.layers.end(), stage.layers.begin(),
                               stage.layers.end());
    checkClasses(file.model, file.message);
    file.input = readInput(root, file.model, file.message);
    file.program.ranks = readPrograms(root, placement);
    std::vector<Finding> findings = verifyProgram(file.program, verify);
    if (!findings.empty()) {
      error = findingText(findings.front());
      return std::nullopt;
    }
    return file;
  } catch (const ReadError &e) {
    error = e.message;
  } catch (const std::exception &e) {
    // A type the checks above did not anticipate; report rather than crash.
    error = std::string("malformed program file: ") + e.what();
  }
  return std::nullopt;
}

std::optional<ProgramFile> programFromText(std::string_view text,
                                           std::string &error) {
  return programFromText(text, error, loadVerifyOptions());
}

std::optional<ProgramFile> programFromText(std::string_view text,
                                           std::string &error,
                                           const VerifyOptions &verify) {
  std::optional<json> root = parseJsonText(text, error);
  if (!root)
    return std::nullopt;
  return programFromJson(*root, error, verify);
}

} // namespace dualpipe
