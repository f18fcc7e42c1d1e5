//===- Executor.cpp - One rank's instructions on its streams --------------===//
//
// runStep walks the rank's plan (Plan.h) and enqueues every operation on its
// stream behind the events it waits on; the work items below run on the
// stream workers. Per-step state is laid out by plan index, so each item
// touches only its own entries: outputs[i] is written by operation i before
// its event and read by its consumers after it; the pending handles and the
// comm trace belong to the comm stream alone.
//
//===----------------------------------------------------------------------===//

#include "dualpipe/Runtime/Executor.h"
#include "dualpipe/Runtime/ElementType.h"
#include "dualpipe/Runtime/Reference.h"

#include "ErrorText.h"
#include "execution/Mirrors.h"
#include "execution/Plan.h"
#include "execution/Stream.h"

#include "dualpipe/Schedule/Dependencies.h"
#include "dualpipe/Schedule/ProgramJson.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <unordered_map>

namespace dualpipe::runtime {

namespace {

double nowUs() {
  return std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Stands in for a dropped send so that a later wait on its token returns.
class CompletedHandle : public CommHandle {
public:
  torch::Tensor wait(std::chrono::milliseconds) override { return {}; }
};

} // namespace

struct RankExecutor::Impl {
  struct Pending {
    std::unique_ptr<CommHandle> handle;
    int32_t op = -1;
    double issueUs = 0;
  };

  /// `instructions`: the training program's, or with `evaluating` the
  /// forward-only one.
  Impl(const LoadedProgram &program, const Program &instructions,
       bool evaluating, int64_t rank, Transport &transport,
       ExecutorOptions options,
       std::map<int64_t, std::unique_ptr<StageWorker>> &stages)
      : program(program), instructions(instructions), evaluating(evaluating),
        placement(program.placement()), rank(rank), transport(transport),
        options(std::move(options)), stages(stages),
        data(program.config, this->options.device,
             evaluating ? this->options.evalData : this->options.data),
        dtype(scalarType(program.config)) {
    if (evaluating)
      this->options.fault.reset(); // faults are injected into training
    try {
      plan = planRank(instructions, rank);
      for (const PlanOp &op : plan.ops)
        stageOf.push_back(op.kind == PlanOp::Kind::Compute ? stageFor(op)
                                                           : nullptr);
    } catch (const PlanError &e) {
      throw RankFailure(rank,
                        instructionPath(e.ref) + " " + describeInstr(*e.instr) +
                            ": " + e.what(),
                        false);
    }
    locateFault();
    nameGroups();
    remaining = std::make_unique<std::atomic<int32_t>[]>(plan.ops.size());
    std::unique_ptr<DeviceStreams> deviceStreams =
        makeDeviceStreams(this->options.device);
    device = deviceStreams.get();
    streams = makeCpuStreams(std::move(deviceStreams));
    for (int32_t e = 0; e < plan.events; ++e)
      events.push_back(streams->makeEvent());
  }

  StageWorker *stageFor(const PlanOp &op) {
    auto it = stages.find(op.instr->op.stage);
    if (it == stages.end())
      throw PlanError(op.ref, *op.instr,
                      "stage " + std::to_string(op.instr->op.stage) +
                          " is not placed on this rank");
    return it->second.get();
  }

  /// The plan operation an injected fault hits: the instruction's compute
  /// for throw/shape (faultCompute), its send for drop, and its first
  /// operation otherwise.
  void locateFault() {
    if (!options.fault || options.fault->rank != rank)
      return;
    const Instr &instr = instructions.ranks[rank][options.fault->index];
    const Instr *target = nullptr;
    if (options.fault->kind != FaultSpec::Kind::Exit)
      target = faultCompute(instr);
    for (size_t i = 0; i < plan.ops.size() && faultOp < 0; ++i) {
      const PlanOp &op = plan.ops[i];
      if (op.ref.path[0] == options.fault->index &&
          (!target || op.instr == target))
        faultOp = static_cast<int32_t>(i);
    }
  }

  bool faultAt(int32_t i, FaultSpec::Kind kind) const {
    return i == faultOp && step == 0 && options.fault->kind == kind;
  }

  //===--------------------------------------------------------------------===//
  // Errors
  //===--------------------------------------------------------------------===//

  [[noreturn]] void rethrowAt(const PlanOp &op) {
    std::string where =
        instructionPath(op.ref) + " " + describeInstr(*op.instr);
    try {
      throw;
    } catch (const RankFailure &) {
      throw;
    } catch (const RankExit &) {
      throw;
    } catch (const CommError &e) {
      throw RankFailure(rank, where + ": " + e.what(), e.aborted());
    } catch (const std::exception &e) {
      throw RankFailure(rank, where + ": " + causeOf(e), false);
    } catch (...) {
      throw RankFailure(rank, where + ": unknown exception", false);
    }
  }

  //===--------------------------------------------------------------------===//
  // Tensors in flight
  //===--------------------------------------------------------------------===//

  void checkMessage(const torch::Tensor &tensor, const std::string &what) {
    if (tensor.sizes() != torch::IntArrayRef(program.config.messageShape) ||
        tensor.scalar_type() != dtype)
      throw std::runtime_error(
          what + " has shape " + shapeText(tensor.sizes()) + " (" +
          std::string(c10::toString(tensor.scalar_type())) +
          "), the program's message is " +
          shapeText(program.config.messageShape) + " (" +
          std::string(c10::toString(dtype)) + ")");
  }

  /// Operation `producer`'s output for `consumer`; the last consumer to
  /// read it releases it.
  torch::Tensor take(int32_t producer, const PlanOp &consumer) {
    torch::Tensor tensor = outputs[producer];
    if (plan.ops[producer].stream != consumer.stream)
      streams->useOn(tensor, consumer.stream);
    if (remaining[producer].fetch_sub(1, std::memory_order_acq_rel) == 1)
      outputs[producer] = torch::Tensor();
    return tensor;
  }

  //===--------------------------------------------------------------------===//
  // Work items (run on the stream workers)
  //===--------------------------------------------------------------------===//

  void execute(int32_t i) {
    const PlanOp &op = plan.ops[i];
    try {
      if (faultAt(i, FaultSpec::Kind::Exit))
        throw RankExit{instructionPath(InstrRef{rank, {op.ref.path[0]}})};
      if (faultAt(i, FaultSpec::Kind::Throw))
        throw std::runtime_error("injected fault (--inject-fault)");
      switch (op.kind) {
      case PlanOp::Kind::Compute:
        return compute(i, op);
      case PlanOp::Kind::Send:
        return send(i, op);
      case PlanOp::Kind::Recv:
        return post(i, op);
      case PlanOp::Kind::Wait:
        return wait(i, op);
      }
    } catch (...) {
      rethrowAt(op);
    }
  }

  void compute(int32_t i, const PlanOp &op) {
    const ComputeOp &c = op.instr->op;
    StageWorker &stage = *stageOf[i];
    torch::Tensor input;
    if (op.input >= 0) {
      input = take(op.input, op);
      checkMessage(input, c.kind == OpKind::F ? "the input activation"
                                              : "the output gradient");
    } else if (c.kind == OpKind::F) {
      input = data.input(step, c.mb);
      // Token ids are no message; DataSource checks them.
      if (!program.config.tokenInput)
        checkMessage(input, "the input activation");
    }
    double start = nowUs();
    int32_t startMark = timing() ? device->mark(op.stream) : -1;
    torch::Tensor output;
    switch (c.kind) {
    case OpKind::F:
      output = evaluating ? stage.evaluate(c.mb, input, step)
                          : stage.forward(c.mb, input, step);
      break;
    case OpKind::B:
      output = stage.backward(c.mb, input);
      break;
    case OpKind::I:
      output = stage.backwardInput(c.mb, input);
      break;
    case OpKind::W:
      stage.backwardWeight(c.mb);
      break;
    }
    input = torch::Tensor();
    if (faultAt(i, FaultSpec::Kind::Shape) && output.defined())
      output = torch::cat({output, output.narrow(0, 0, 1)});
    times[i] = {start, nowUs()};
    if (timing())
      marks[i] = {startMark, device->mark(op.stream)};
    if (op.loss || op.uses > 0)
      outputs[i] = std::move(output);
  }

  void send(int32_t i, const PlanOp &op) {
    const Instr &instr = *op.instr;
    torch::Tensor tensor = take(op.input, op);
    double issue = nowUs();
    std::unique_ptr<CommHandle> handle;
    bool drop = faultAt(i, FaultSpec::Kind::Drop);
    if (!drop)
      checkMessage(tensor,
                   "refusing to send the " + describe(instr.key) + ": it");
    // A dropped send still opens and closes its group, so the brackets
    // stay balanced.
    if (op.groupBegin)
      transport.beginGroup();
    if (drop) {
      handle = std::make_unique<CompletedHandle>();
      faultFired = true;
    } else
      handle =
          transport.send(instr.peer, messageTag(instr.key, placement), tensor);
    endGroupAt(i);
    if (instr.token >= 0) {
      pending[instr.token] = Pending{std::move(handle), i, issue};
      return;
    }
    handle->wait(options.timeout);
    recordComm(i, issue, issue, true);
  }

  void post(int32_t i, const PlanOp &op) {
    const Instr &instr = *op.instr;
    if (op.groupBegin)
      transport.beginGroup();
    auto handle = transport.recv(instr.peer, messageTag(instr.key, placement),
                                 program.config.messageShape, dtype);
    endGroupAt(i);
    pending[instr.token] = Pending{std::move(handle), i, nowUs()};
  }

  /// Ends the post group whose last message is op `i`.
  void endGroupAt(int32_t i) {
    if (plan.ops[i].groupStart >= 0)
      transport.endGroup(groupNames.at(i));
  }

  /// Names each post group by its first instruction's path and its
  /// messages, for the transport's errors; made once, not per step.
  void nameGroups() {
    for (size_t i = 0; i < plan.ops.size(); ++i) {
      int32_t first = plan.ops[i].groupStart;
      if (first < 0)
        continue;
      std::string what = "post group " + instructionPath(plan.ops[first].ref);
      for (size_t j = first; j <= i; ++j)
        if (plan.ops[j].kind == PlanOp::Kind::Send ||
            plan.ops[j].kind == PlanOp::Kind::Recv)
          what += (j == size_t(first) ? " [" : ", ") +
                  describeInstr(*plan.ops[j].instr);
      groupNames[static_cast<int32_t>(i)] = what + "]";
    }
  }

  void wait(int32_t i, const PlanOp &op) {
    auto it = pending.find(op.instr->token);
    if (it == pending.end())
      throw std::logic_error("token " + std::to_string(op.instr->token) +
                             " is not pending");
    Pending p = std::move(it->second);
    pending.erase(it);
    torch::Tensor tensor = finishPending(p);
    if (tensor.defined() && op.uses > 0)
      outputs[i] = std::move(tensor);
  }

  torch::Tensor finishPending(Pending &p) {
    const Instr &posted = *plan.ops[p.op].instr;
    double start = nowUs();
    torch::Tensor tensor;
    try {
      tensor = p.handle->wait(options.timeout);
    } catch (const CommError &e) {
      throw CommError(describeInstr(posted) + ": " + e.what(), e.aborted());
    }
    if (posted.kind == InstrKind::Recv)
      checkMessage(tensor, "the received " + describe(posted.key));
    recordComm(p.op, p.issueUs, start, false);
    return tensor;
  }

  void recordComm(int32_t i, double issue, double start, bool blocking) {
    if (!options.trace)
      return;
    const Instr &instr = *plan.ops[i].instr;
    CommEvent event;
    event.kind = instr.kind == InstrKind::Send ? CommEvent::Kind::Send
                                               : CommEvent::Kind::Recv;
    event.key = instr.key;
    event.peer = instr.peer;
    event.issue = issue;
    event.start = start;
    event.end = nowUs();
    event.blocking = blocking;
    event.where = plan.ops[i].ref;
    commTrace.push_back(event);
  }

  /// Async sends whose token the program never waits complete here, last on
  /// the comm stream.
  void drain() {
    while (!pending.empty()) {
      auto it = pending.begin();
      Pending p = std::move(it->second);
      pending.erase(it);
      try {
        finishPending(p);
      } catch (...) {
        rethrowAt(plan.ops[p.op]);
      }
    }
  }

  //===--------------------------------------------------------------------===//
  // Step (host)
  //===--------------------------------------------------------------------===//

  void enqueue(int32_t i) {
    const PlanOp &op = plan.ops[i];
    Stream &stream = streams->stream(op.stream);
    for (int32_t w : op.waits)
      stream.wait(*events[plan.ops[w].event]);
    stream.enqueue([this, i] { execute(i); });
    if (op.event >= 0)
      stream.record(*events[op.event]);
  }

  StepResult runStep(int64_t stepIndex) {
    step = stepIndex;
    StepResult result;
    result.peakLive = plan.peakLive;
    size_t n = plan.ops.size();
    outputs.assign(n, torch::Tensor());
    times.assign(n, {0, 0});
    for (size_t i = 0; i < n; ++i)
      remaining[i].store(plan.ops[i].uses, std::memory_order_relaxed);
    pending.clear();
    commTrace.clear();
    if (!evaluating)
      for (auto &entry : stages)
        entry.second->zeroGrad();
    double originUs = nowUs();
    if (device) {
      device->waitForHost();
      if (options.trace) {
        marks.assign(n, {-1, -1});
        device->startTiming();
      }
    }
    for (size_t i = 0; i < n; ++i)
      enqueue(static_cast<int32_t>(i));
    streams->stream(StreamRole::Comm).enqueue([this] { drain(); });
    try {
      streams->synchronize();
      checkTransport();
    } catch (const RankFailure &failure) {
      // Whatever still waits on a peer stops now rather than at its timeout
      // (an exit fault stays silent, as a crashed process would).
      if (!failure.aborted())
        transport.abort("rank " + std::to_string(rank) + " failed");
      throw;
    } catch (const std::exception &e) {
      // The device failed (after an NCCL abort, say): the transport's
      // finding names the cause better than the device's error.
      checkTransport();
      transport.abort("rank " + std::to_string(rank) + " failed");
      throw RankFailure(rank, "at the end of the step: " + causeOf(e), false);
    }
    for (size_t i = 0; i < n; ++i)
      if (plan.ops[i].loss)
        result.losses.emplace_back(plan.ops[i].instr->op.mb, outputs[i]);
    outputs.assign(n, torch::Tensor());
    if (timing())
      useDeviceTimes(originUs);
    if (options.trace)
      recordTimeline(result.timeline);
    return result;
  }

  /// What the transport found on its own (NCCL's watchdog) fails the rank;
  /// its message names the post group and the cause.
  void checkTransport() {
    try {
      transport.checkAsync();
    } catch (const CommError &e) {
      throw RankFailure(rank, e.what(), e.aborted());
    }
  }

  bool timing() const { return device && options.trace; }

  /// A work item on a device only queues kernels: its host interval is its
  /// launch, so the trace takes the interval between its two events.
  void useDeviceTimes(double originUs) {
    std::vector<double> at = device->markTimesUs();
    for (size_t i = 0; i < marks.size(); ++i)
      if (marks[i].first >= 0)
        times[i] = {originUs + at[marks[i].first],
                    originUs + at[marks[i].second]};
  }

  /// The half of an overlapped pair that names it: its forward, else the
  /// earlier op.
  int32_t pairLead(int32_t i) const {
    int32_t partner = plan.ops[i].partner;
    if (plan.ops[i].instr->op.kind == OpKind::F)
      return i;
    if (plan.ops[partner].instr->op.kind == OpKind::F)
      return partner;
    return std::min(i, partner);
  }

  /// An overlapped pair is one interval, named by its forward.
  void recordTimeline(RankTimeline &timeline) {
    for (size_t i = 0; i < plan.ops.size(); ++i) {
      const PlanOp &op = plan.ops[i];
      if (op.kind != PlanOp::Kind::Compute)
        continue;
      ComputeInterval interval;
      interval.op = op.instr->op;
      interval.start = times[i].first;
      interval.end = times[i].second;
      interval.where = op.ref;
      if (op.partner >= 0) {
        if (pairLead(static_cast<int32_t>(i)) != static_cast<int32_t>(i))
          continue; // recorded with the other half
        const PlanOp &other = plan.ops[op.partner];
        auto [otherStart, otherEnd] = times[op.partner];
        interval.paired = other.instr->op;
        interval.start = std::min(interval.start, otherStart);
        interval.end = std::max(interval.end, otherEnd);
        double mine = times[i].second - times[i].first;
        double total = mine + (otherEnd - otherStart);
        interval.firstShare = total > 0 ? mine / total : 0.5;
        interval.where.path.resize(1);
      }
      timeline.compute.push_back(interval);
    }
    timeline.comm = commTrace;
  }

  MirrorLink mirrorLink() {
    return MirrorLink{transport, placement, rank, dtype, options.timeout};
  }

  const LoadedProgram &program;
  const Program &instructions;
  bool evaluating;
  const Placement &placement;
  int64_t rank;
  Transport &transport;
  ExecutorOptions options;
  std::map<int64_t, std::unique_ptr<StageWorker>> &stages;
  DataSource data;
  torch::ScalarType dtype;
  RankPlan plan;
  std::vector<StageWorker *> stageOf;
  std::unordered_map<int32_t, std::string> groupNames; // by last op
  int32_t faultOp = -1;
  std::atomic<bool> faultFired{false};

  int64_t step = 0;
  std::vector<torch::Tensor> outputs;
  std::unique_ptr<std::atomic<int32_t>[]> remaining;
  std::vector<std::pair<double, double>> times;
  /// --trace on a device: each compute's two timing marks.
  std::vector<std::pair<int32_t, int32_t>> marks;
  std::unordered_map<int64_t, Pending> pending; // comm stream only
  std::vector<CommEvent> commTrace;             // comm stream only
  std::vector<std::unique_ptr<Event>> events;
  DeviceStreams *device = nullptr; // owned by `streams`; null on CPU
  /// Last member: destroyed first, so no work item outlives the state above.
  std::unique_ptr<RankStreams> streams;
};

RankExecutor::RankExecutor(const LoadedProgram &program, int64_t rank,
                           Transport &transport, ExecutorOptions options)
    : rank_(rank) {
  for (int64_t stage : program.placement().stagesOn(rank)) {
    try {
      stages_[stage] = std::make_unique<StageWorker>(
          program.file.stages[stage], program, options.device, options.data,
          options.evalData);
    } catch (const std::exception &e) {
      throw RankFailure(
          rank, "building stage " + std::to_string(stage) + ": " + causeOf(e),
          false);
    }
  }
  const Program *evalProgram = options.evalProgram;
  if (evalProgram)
    evalImpl_ = std::make_unique<Impl>(program, *evalProgram, true, rank,
                                       transport, options, stages_);
  impl_ = std::make_unique<Impl>(program, program.program(), false, rank,
                                 transport, std::move(options), stages_);
}

RankExecutor::~RankExecutor() = default;

StepResult RankExecutor::runStep(int64_t step) { return impl_->runStep(step); }

StepResult RankExecutor::evaluate(int64_t index) {
  if (!evalImpl_)
    throw std::logic_error("this executor has no forward-only program");
  return evalImpl_->runStep(index);
}

bool RankExecutor::faultFired() const { return impl_->faultFired; }

void RankExecutor::reduceMirrors() {
  auto theirs = exchangeWithMirror(
      impl_->mirrorLink(), stages_, ControlTag::MirrorGrads,
      [](StageWorker &worker) { return worker.flatGradients(); });
  for (auto &[stage, grads] : theirs) {
    StageWorker &worker = *stages_.at(stage);
    worker.setFlatGradients(worker.flatGradients() + grads);
  }
}

void RankExecutor::optimizerStep() {
  for (auto &entry : stages_)
    entry.second->optimizerStep();
}

std::vector<std::string> RankExecutor::compareMirrorParameters() {
  auto theirs = exchangeWithMirror(
      impl_->mirrorLink(), stages_, ControlTag::MirrorParams,
      [](StageWorker &worker) { return worker.flatParameters(); });
  std::vector<std::string> differences;
  for (auto &[stage, params] : theirs) {
    if (!bitwiseEqual(stages_.at(stage)->flatParameters(), params))
      differences.push_back("stage " + std::to_string(stage) +
                            ": the parameters on rank " +
                            std::to_string(rank_) + " and rank " +
                            std::to_string(impl_->placement.ranks - 1 - rank_) +
                            " differ after the optimizer step");
  }
  return differences;
}

} // namespace dualpipe::runtime
