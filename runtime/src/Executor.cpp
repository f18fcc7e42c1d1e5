//===- Executor.cpp - One rank walking its instruction list ---------------===//

#include "dualpipe/Runtime/Executor.h"
#include "dualpipe/Runtime/Reference.h"

#include "SpinWait.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <thread>

namespace dualpipe::runtime {

//===----------------------------------------------------------------------===//
// Fault injection
//===----------------------------------------------------------------------===//

std::optional<FaultSpec> parseFaultSpec(const std::string &text,
                                        std::string &error) {
  FaultSpec fault;
  std::istringstream in(text);
  std::string rank, index, kind = "throw";
  if (!std::getline(in, rank, ':') || !std::getline(in, index, ':') ||
      (std::getline(in, kind, ':') && !in.eof())) {
    error = "--inject-fault expects RANK:INDEX[:KIND], got '" + text + "'";
    return std::nullopt;
  }
  try {
    size_t used = 0;
    fault.rank = std::stoll(rank, &used);
    if (used != rank.size())
      throw std::invalid_argument(rank);
    fault.index = std::stoll(index, &used);
    if (used != index.size())
      throw std::invalid_argument(index);
  } catch (const std::exception &) {
    error = "--inject-fault expects integers RANK:INDEX, got '" + text + "'";
    return std::nullopt;
  }
  static const std::map<std::string, FaultSpec::Kind> kinds = {
      {"throw", FaultSpec::Kind::Throw},
      {"shape", FaultSpec::Kind::Shape},
      {"drop", FaultSpec::Kind::Drop},
      {"exit", FaultSpec::Kind::Exit}};
  auto it = kinds.find(kind);
  if (it == kinds.end()) {
    error = "--inject-fault kind must be throw, shape, drop or exit, got '" +
            kind + "'";
    return std::nullopt;
  }
  fault.kind = it->second;
  return fault;
}

namespace {

/// The compute an injected throw/shape fault applies to: the instruction
/// itself, or an overlap's forward.
const Instr *faultCompute(const Instr &instr) {
  if (instr.kind == InstrKind::Compute)
    return &instr;
  if (instr.kind == InstrKind::Overlap)
    for (const Instr &inner : instr.body)
      if (inner.kind == InstrKind::Compute)
        return &inner;
  return nullptr;
}

bool producesMessage(const ComputeOp &op, const Placement &placement) {
  if (op.kind == OpKind::F)
    return op.stage + 1 < placement.stages;
  return op.kind != OpKind::W && op.stage > 0;
}

} // namespace

std::string checkFaultSpec(const FaultSpec &fault, const Program &program) {
  if (fault.rank < 0 || fault.rank >= program.placement.ranks)
    return "--inject-fault: rank " + std::to_string(fault.rank) +
           " out of range";
  const auto &list = program.ranks[fault.rank];
  if (fault.index < 0 || fault.index >= static_cast<int64_t>(list.size()))
    return "--inject-fault: rank " + std::to_string(fault.rank) + " has " +
           std::to_string(list.size()) + " instructions, no index " +
           std::to_string(fault.index);
  const Instr &instr = list[fault.index];
  const Instr *compute = faultCompute(instr);
  switch (fault.kind) {
  case FaultSpec::Kind::Drop:
    if (instr.kind != InstrKind::Send)
      return "--inject-fault drop needs a send instruction";
    break;
  case FaultSpec::Kind::Shape:
    if (!compute || !producesMessage(compute->op, program.placement))
      return "--inject-fault shape needs a compute whose output is a "
             "message (F before the last stage, B/I after the first)";
    break;
  case FaultSpec::Kind::Throw:
  case FaultSpec::Kind::Exit:
    break;
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Executor
//===----------------------------------------------------------------------===//

namespace {

double nowUs() {
  return std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string firstLine(const std::string &text) {
  return text.substr(0, text.find('\n'));
}

/// c10 errors append a backtrace that would drown the cause.
std::string causeOf(const std::exception &e) {
  if (auto *error = dynamic_cast<const c10::Error *>(&e))
    return firstLine(error->what_without_backtrace());
  return firstLine(e.what());
}

std::string shapeText(torch::IntArrayRef sizes) {
  std::string text = "[";
  for (size_t i = 0; i < sizes.size(); ++i)
    text += (i ? ", " : "") + std::to_string(sizes[i]);
  return text + "]";
}

std::string keyText(const MsgKey &key) {
  return std::string(toString(key.kind)) + " stage " +
         std::to_string(key.stage) + " mb " + std::to_string(key.mb);
}

/// The second lane of overlapped pairs: one long-lived thread, so an
/// overlap costs a queue hand-off rather than a thread start. Both sides spin
/// briefly before they sleep (runtime/src/SpinWait.h). the lane waiting for its next
/// pair, the rank waiting for the lane's half.
class Lane {
public:
  Lane() : thread_([this] { loop(); }) {}
  ~Lane() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    ready_.notify_one();
    thread_.join();
  }
  /// Queues `fn`; `ticket` receives the number to pass to awaitBriefly.
  std::future<void> submit(std::function<void()> fn, uint64_t &ticket) {
    std::packaged_task<void()> task([this, fn = std::move(fn)] {
      // Counted on every exit, a throw included, for awaitBriefly.
      struct Completion {
        std::atomic<uint64_t> &count;
        ~Completion() { count.fetch_add(1, std::memory_order_release); }
      } completion{completed_};
      fn();
    });
    std::future<void> done = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(task));
      queued_.store(true, std::memory_order_release);
    }
    ready_.notify_one();
    ticket = ++submitted_;
    return done;
  }
  /// Spins until the task with `ticket` has run or the spin time is over;
  /// the caller then blocks on the task's future as usual.
  void awaitBriefly(uint64_t ticket) const {
    spinBriefly(
        [&] { return completed_.load(std::memory_order_acquire) >= ticket; });
  }

private:
  void loop() {
    for (;;) {
      spinBriefly([&] { return queued_.load(std::memory_order_acquire); });
      std::packaged_task<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty())
          return;
        task = std::move(queue_.front());
        queue_.pop_front();
        queued_.store(!queue_.empty(), std::memory_order_release);
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<void()>> queue_;
  std::atomic<bool> queued_{false};
  std::atomic<uint64_t> completed_{0};
  uint64_t submitted_ = 0; // the submitting thread's count
  bool stop_ = false;
  std::thread thread_;
};

/// Stands in for a dropped send so that a later wait on its token returns.
class CompletedHandle : public CommHandle {
public:
  torch::Tensor wait(std::chrono::milliseconds) override { return {}; }
};

} // namespace

struct RankExecutor::Impl {
  struct Ready {
    torch::Tensor tensor;
    int64_t remaining = 0;
  };
  struct Pending {
    std::unique_ptr<CommHandle> handle;
    const Instr *instr = nullptr;
    InstrRef ref;
    double issueUs = 0;
  };
  /// A compute op on its way through prepare (inputs taken), run (any
  /// thread) and finish (outputs stored).
  struct Task {
    const Instr *instr = nullptr;
    InstrRef ref;
    StageWorker *stage = nullptr;
    torch::Tensor input, output;
    bool injectThrow = false, injectShape = false;
    bool finished = false;
    double startUs = 0, endUs = 0;
    std::future<void> running;
    uint64_t laneTicket = 0;
  };

  Impl(const LoadedProgram &program, int64_t rank, Transport &transport,
       ExecutorOptions options,
       std::map<int64_t, std::unique_ptr<StageWorker>> &stages)
      : program(program), placement(program.placement()), rank(rank),
        transport(transport), options(std::move(options)), stages(stages),
        data(program.config),
        dtype(program.config.float64 ? torch::kFloat64 : torch::kFloat32) {
    countUses();
    for (const Instr &instr : instructions())
      if (instr.kind == InstrKind::Overlap && !lane)
        lane = std::make_unique<Lane>();
  }

  const std::vector<Instr> &instructions() const {
    return program.program().ranks[rank];
  }

  /// How often each locally produced message is used: its sends plus the
  /// local consumer, if the consuming stage runs here too.
  void countUses() {
    auto visit = [&](const Instr &instr) {
      if (instr.kind == InstrKind::Send) {
        ++uses[instr.key];
      } else if (instr.kind == InstrKind::Compute &&
                 producesMessage(instr.op, placement)) {
        MsgKey key = producedKey(instr.op);
        int64_t consumer =
            key.kind == MsgKind::Activation ? key.stage + 1 : key.stage - 1;
        if (placement.rankOf(consumer, key.mb) == rank)
          ++uses[key];
      }
    };
    for (const Instr &instr : instructions()) {
      visit(instr);
      for (const Instr &inner : instr.body)
        visit(inner);
    }
  }

  static MsgKey producedKey(const ComputeOp &op) {
    return MsgKey{op.kind == OpKind::F ? MsgKind::Activation
                                       : MsgKind::Gradient,
                  op.stage, op.mb};
  }

  //===--------------------------------------------------------------------===//
  // Errors
  //===--------------------------------------------------------------------===//

  [[noreturn]] void rethrowAt(const InstrRef &ref, const Instr &instr) {
    std::string where = instructionPath(ref) + " " + describeInstr(instr);
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

  template <typename Fn>
  void guarded(const InstrRef &ref, const Instr &instr, Fn fn) {
    try {
      fn();
    } catch (...) {
      rethrowAt(ref, instr);
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

  torch::Tensor take(const MsgKey &key) {
    auto it = ready.find(key);
    if (it == ready.end())
      throw std::runtime_error("the " + keyText(key) +
                               " is not available on this rank");
    torch::Tensor tensor = it->second.tensor;
    if (--it->second.remaining == 0)
      ready.erase(it);
    return tensor;
  }

  void store(const MsgKey &key, torch::Tensor tensor, int64_t count) {
    if (count > 0)
      ready[key] = Ready{std::move(tensor), count};
  }

  //===--------------------------------------------------------------------===//
  // Compute
  //===--------------------------------------------------------------------===//

  Task prepare(const Instr &instr, const InstrRef &ref, bool fault) {
    const ComputeOp &op = instr.op;
    Task task;
    task.instr = &instr;
    task.ref = ref;
    auto it = stages.find(op.stage);
    if (it == stages.end())
      throw std::runtime_error("stage " + std::to_string(op.stage) +
                               " is not placed on this rank");
    task.stage = it->second.get();
    task.injectThrow = fault && options.fault->kind == FaultSpec::Kind::Throw;
    task.injectShape = fault && options.fault->kind == FaultSpec::Kind::Shape;
    if (op.kind == OpKind::F) {
      task.input = op.stage == 0
                       ? data.input(op.mb)
                       : take({MsgKind::Activation, op.stage - 1, op.mb});
      checkMessage(task.input, "the input activation");
    } else if (op.kind != OpKind::W && op.stage + 1 < placement.stages) {
      task.input = take({MsgKind::Gradient, op.stage + 1, op.mb});
      checkMessage(task.input, "the output gradient");
    }
    return task;
  }

  void run(Task &task) {
    task.startUs = nowUs();
    const ComputeOp &op = task.instr->op;
    if (task.injectThrow)
      throw std::runtime_error("injected fault (--inject-fault)");
    switch (op.kind) {
    case OpKind::F:
      task.output = task.stage->forward(op.mb, task.input);
      break;
    case OpKind::B:
      task.output = task.stage->backward(op.mb, task.input);
      break;
    case OpKind::I:
      task.output = task.stage->backwardInput(op.mb, task.input);
      break;
    case OpKind::W:
      task.stage->backwardWeight(op.mb);
      break;
    }
    task.input = torch::Tensor();
    if (task.injectShape && task.output.defined())
      task.output = torch::cat({task.output, task.output.narrow(0, 0, 1)});
    task.endUs = nowUs();
  }

  void finish(Task &task) {
    const ComputeOp &op = task.instr->op;
    if (op.kind == OpKind::F && task.stage->isLast())
      result.losses.emplace_back(op.mb, task.output);
    else if (producesMessage(op, placement)) {
      MsgKey key = producedKey(op);
      auto count = uses.find(key);
      store(key, std::move(task.output),
            count == uses.end() ? 0 : count->second);
    }
    task.output = torch::Tensor();
    task.finished = true;
  }

  /// Counts retained graphs in program order rather than sampling the
  /// stages, which would race with the two threads of an overlap. A forward
  /// retains a graph; a full backward or a backward_weight releases it. An
  /// overlap counts its forward before its backward, as the simulator does.
  void countGraphs(const std::vector<const ComputeOp *> &ops) {
    for (bool forwards : {true, false})
      for (const ComputeOp *op : ops)
        if ((op->kind == OpKind::F) == forwards) {
          if (op->kind == OpKind::F)
            result.peakLive = std::max(result.peakLive, ++heldGraphs);
          else if (op->kind == OpKind::B || op->kind == OpKind::W)
            --heldGraphs;
        }
  }

  void recordCompute(const Task &first, const Task *second) {
    if (!options.trace)
      return;
    ComputeInterval interval;
    interval.op = first.instr->op;
    interval.start = first.startUs;
    interval.end = first.endUs;
    interval.where = first.ref;
    if (second) {
      interval.paired = second->instr->op;
      interval.start = std::min(first.startUs, second->startUs);
      interval.end = std::max(first.endUs, second->endUs);
      double total =
          (first.endUs - first.startUs) + (second->endUs - second->startUs);
      interval.firstShare =
          total > 0 ? (first.endUs - first.startUs) / total : 0.5;
      interval.where.path.resize(1);
    }
    result.timeline.compute.push_back(interval);
  }

  void compute(const Instr &instr, const InstrRef &ref, bool fault) {
    countGraphs({&instr.op});
    Task task = prepare(instr, ref, fault);
    run(task);
    finish(task);
    recordCompute(task, nullptr);
  }

  /// Runs an overlap body: comm in order on this thread, the first compute
  /// on the lane, the second here, each joined before its output is sent.
  void overlap(const Instr &instr, const InstrRef &ref, bool fault) {
    std::vector<Task> tasks;
    tasks.reserve(2); // tasks are referenced by the lane: no reallocation
    auto joinAll = [&] {
      for (Task &task : tasks)
        if (task.running.valid())
          task.running.wait();
    };
    std::vector<const ComputeOp *> ops;
    for (const Instr &inner : instr.body)
      if (inner.kind == InstrKind::Compute)
        ops.push_back(&inner.op);
    countGraphs(ops);
    try {
      size_t computes = ops.size();
      for (size_t j = 0; j < instr.body.size(); ++j) {
        const Instr &inner = instr.body[j];
        InstrRef innerRef{rank, {ref.path[0], static_cast<int64_t>(j)}};
        if (inner.kind != InstrKind::Compute) {
          if (inner.kind == InstrKind::Send)
            joinProducer(tasks, inner.key);
          guarded(innerRef, inner, [&] { comm(inner, innerRef, false); });
          continue;
        }
        guarded(innerRef, inner, [&] {
          tasks.push_back(prepare(inner, innerRef, fault && tasks.empty()));
        });
        Task &task = tasks.back();
        if (tasks.size() < computes)
          task.running =
              lane->submit([this, &task] { run(task); }, task.laneTicket);
        else
          guarded(innerRef, inner, [&] { run(task); });
      }
      for (Task &task : tasks)
        join(task);
    } catch (...) {
      joinAll();
      throw;
    }
    if (tasks.size() == 2) {
      bool forwardFirst = tasks[0].instr->op.kind == OpKind::F;
      recordCompute(tasks[forwardFirst ? 0 : 1], &tasks[forwardFirst ? 1 : 0]);
    }
  }

  void join(Task &task) {
    if (task.running.valid()) {
      lane->awaitBriefly(task.laneTicket);
      guarded(task.ref, *task.instr, [&] { task.running.get(); });
    }
    if (!task.finished)
      finish(task);
  }

  /// A send inside an overlap may only leave once its compute is done.
  void joinProducer(std::vector<Task> &tasks, const MsgKey &key) {
    for (Task &task : tasks)
      if (!task.finished && producesMessage(task.instr->op, placement) &&
          producedKey(task.instr->op) == key)
        join(task);
  }

  //===--------------------------------------------------------------------===//
  // Communication
  //===--------------------------------------------------------------------===//

  void comm(const Instr &instr, const InstrRef &ref, bool fault) {
    switch (instr.kind) {
    case InstrKind::Send:
      return send(instr, ref, fault);
    case InstrKind::Recv:
      return post(instr, ref);
    case InstrKind::Wait:
      return wait(instr);
    default:
      throw std::logic_error("not a comm instruction");
    }
  }

  void send(const Instr &instr, const InstrRef &ref, bool drop) {
    torch::Tensor tensor = take(instr.key);
    double issue = nowUs();
    std::unique_ptr<CommHandle> handle;
    if (drop && options.fault->kind == FaultSpec::Kind::Drop) {
      handle = std::make_unique<CompletedHandle>();
    } else {
      checkMessage(tensor,
                   "refusing to send the " + keyText(instr.key) + ": it");
      handle =
          transport.send(instr.peer, messageTag(instr.key, placement), tensor);
    }
    if (instr.token >= 0) {
      pending[instr.token] = Pending{std::move(handle), &instr, ref, issue};
      return;
    }
    handle->wait(options.timeout);
    recordComm(instr, ref, issue, issue, true);
  }

  void post(const Instr &instr, const InstrRef &ref) {
    auto handle = transport.recv(instr.peer, messageTag(instr.key, placement),
                                 program.config.messageShape, dtype);
    pending[instr.token] = Pending{std::move(handle), &instr, ref, nowUs()};
  }

  void wait(const Instr &instr) {
    auto it = pending.find(instr.token);
    if (it == pending.end())
      throw std::runtime_error("token " + std::to_string(instr.token) +
                               " is not pending");
    Pending p = std::move(it->second);
    pending.erase(it);
    finishPending(p);
  }

  void finishPending(Pending &p) {
    double start = nowUs();
    torch::Tensor tensor;
    try {
      tensor = p.handle->wait(options.timeout);
    } catch (const CommError &e) {
      throw CommError(describeInstr(*p.instr) + ": " + e.what(), e.aborted());
    }
    if (p.instr->kind == InstrKind::Recv) {
      checkMessage(tensor, "the received " + keyText(p.instr->key));
      store(p.instr->key, std::move(tensor), 1);
    }
    recordComm(*p.instr, p.ref, p.issueUs, start, false);
  }

  void recordComm(const Instr &instr, const InstrRef &ref, double issue,
                  double start, bool blocking) {
    if (!options.trace)
      return;
    CommEvent event;
    event.kind = instr.kind == InstrKind::Send ? CommEvent::Kind::Send
                                               : CommEvent::Kind::Recv;
    event.key = instr.key;
    event.peer = instr.peer;
    event.issue = issue;
    event.start = start;
    event.end = nowUs();
    event.blocking = blocking;
    event.where = ref;
    result.timeline.comm.push_back(event);
  }

  /// Async sends whose token the program never waits complete here.
  void drain() {
    while (!pending.empty()) {
      auto it = pending.begin();
      Pending p = std::move(it->second);
      pending.erase(it);
      guarded(p.ref, *p.instr, [&] { finishPending(p); });
    }
  }

  //===--------------------------------------------------------------------===//
  // Step
  //===--------------------------------------------------------------------===//

  bool faultAt(size_t index) const {
    return options.fault && step == 0 && options.fault->rank == rank &&
           options.fault->index == static_cast<int64_t>(index);
  }

  StepResult runStep(int64_t stepIndex) {
    step = stepIndex;
    result = StepResult();
    heldGraphs = 0;
    ready.clear();
    pending.clear();
    for (auto &entry : stages)
      entry.second->zeroGrad();
    const auto &list = instructions();
    for (size_t i = 0; i < list.size(); ++i) {
      const Instr &instr = list[i];
      InstrRef ref{rank, {static_cast<int64_t>(i)}};
      bool fault = faultAt(i);
      if (fault && options.fault->kind == FaultSpec::Kind::Exit)
        throw RankExit{instructionPath(ref)};
      if (fault && options.fault->kind == FaultSpec::Kind::Throw &&
          !faultCompute(instr))
        guarded(ref, instr, [] {
          throw std::runtime_error("injected fault (--inject-fault)");
        });
      if (instr.kind == InstrKind::Overlap)
        overlap(instr, ref, fault);
      else if (instr.kind == InstrKind::Compute)
        guarded(ref, instr, [&] { compute(instr, ref, fault); });
      else
        guarded(ref, instr, [&] { comm(instr, ref, fault); });
    }
    drain();
    ready.clear();
    return std::move(result);
  }

  //===--------------------------------------------------------------------===//
  // Mirrors
  //===--------------------------------------------------------------------===//

  /// Swaps one flat tensor per mirrored stage with the mirror rank: all
  /// receives and sends are posted before any wait, so the two ranks cannot
  /// block each other.
  std::map<int64_t, torch::Tensor>
  exchangeWithMirror(ControlTag purpose,
                     const std::function<torch::Tensor(StageWorker &)> &get) {
    std::map<int64_t, torch::Tensor> received;
    if (placement.kind != PlacementKind::Dual)
      return received;
    int64_t peer = placement.ranks - 1 - rank;
    const char *what = purpose == ControlTag::MirrorGrads
                           ? "gradient exchange"
                           : "parameter comparison";
    std::vector<std::tuple<int64_t, std::unique_ptr<CommHandle>,
                           std::unique_ptr<CommHandle>>>
        posted;
    try {
      for (auto &[stage, worker] : stages) {
        torch::Tensor mine = get(*worker);
        if (mine.numel() == 0)
          continue;
        int64_t tag = controlTag(purpose, stage, placement);
        auto recv = transport.recv(peer, tag, {mine.numel()}, dtype);
        auto send = transport.send(peer, tag, mine);
        posted.emplace_back(stage, std::move(recv), std::move(send));
      }
      for (auto &[stage, recv, send] : posted) {
        received[stage] = recv->wait(options.timeout);
        send->wait(options.timeout);
      }
    } catch (const CommError &e) {
      throw RankFailure(rank,
                        std::string("mirror ") + what + " with rank " +
                            std::to_string(peer) + ": " + e.what(),
                        e.aborted());
    }
    return received;
  }

  const LoadedProgram &program;
  const Placement &placement;
  int64_t rank;
  Transport &transport;
  ExecutorOptions options;
  std::map<int64_t, std::unique_ptr<StageWorker>> &stages;
  DataSource data;
  torch::ScalarType dtype;
  std::map<MsgKey, int64_t> uses;
  std::unique_ptr<Lane> lane;

  int64_t step = 0;
  std::map<MsgKey, Ready> ready;
  std::map<int64_t, Pending> pending;
  StepResult result;
  int64_t heldGraphs = 0;
};

RankExecutor::RankExecutor(const LoadedProgram &program, int64_t rank,
                           Transport &transport, ExecutorOptions options)
    : rank_(rank) {
  for (int64_t stage : program.placement().stagesOn(rank)) {
    try {
      stages_[stage] =
          std::make_unique<StageWorker>(program.file.stages[stage], program);
    } catch (const std::exception &e) {
      throw RankFailure(
          rank, "building stage " + std::to_string(stage) + ": " + causeOf(e),
          false);
    }
  }
  impl_ = std::make_unique<Impl>(program, rank, transport, std::move(options),
                                 stages_);
}

RankExecutor::~RankExecutor() = default;

StepResult RankExecutor::runStep(int64_t step) { return impl_->runStep(step); }

void RankExecutor::reduceMirrors() {
  auto theirs = impl_->exchangeWithMirror(
      ControlTag::MirrorGrads,
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
  auto theirs = impl_->exchangeWithMirror(
      ControlTag::MirrorParams,
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
