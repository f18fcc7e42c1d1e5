//===- ScheduleModel.cpp - pipe IR <-> core schedule model ----------------===//
#include "dualpipe/Dialect/Pipe/IR/ScheduleModel.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace dualpipe::pipe;
using dualpipe::Instr;
using dualpipe::InstrKind;

namespace {
/// Rank ops of a schedule by id; ids beyond the vector are absent.
std::vector<RankOp> rankOpsById(ScheduleOp schedule) {
  std::vector<RankOp> byId(schedule.getRanks());
  for (RankOp rank : schedule.getRankOps())
    if (rank.getId() < byId.size())
      byId[rank.getId()] = rank;
  return byId;
}
} // namespace

static dualpipe::Step readOverlapStep(OverlapOp overlap) {
  dualpipe::Step step;
  for (Operation &op : overlap.getBody().front()) {
    std::optional<dualpipe::ComputeOp> compute = getComputeOp(&op);
    if (!compute)
      continue;
    if (compute->kind == dualpipe::OpKind::F)
      step.first = *compute;
    else
      step.second = *compute;
  }
  return step;
}

dualpipe::Schedule dualpipe::pipe::readSchedule(ScheduleOp schedule,
                                                OriginTable &origins) {
  dualpipe::Schedule result;
  if (schedule.getKind())
    result.kind = toCore(*schedule.getKind());
  result.placement = placementOf(schedule);
  result.ranks.resize(result.placement.ranks);
  for (auto [id, rank] : llvm::enumerate(rankOpsById(schedule))) {
    if (!rank)
      continue;
    std::vector<dualpipe::Step> &steps = result.ranks[id];
    for (Operation &op : rank.getBody().front()) {
      dualpipe::Step step;
      if (auto overlap = dyn_cast<OverlapOp>(op))
        step = readOverlapStep(overlap);
      else if (std::optional<dualpipe::ComputeOp> compute = getComputeOp(&op))
        step.first = *compute;
      else
        continue;
      step.origin = origins.add(&op);
      steps.push_back(step);
    }
  }
  return result;
}

namespace {
/// Reads instruction lists, numbering tokens in program order.
struct ProgramReader {
  OriginTable &origins;
  llvm::DenseMap<Value, int64_t> tokens;

  int64_t defineToken(Value token) {
    int64_t id = static_cast<int64_t>(tokens.size());
    tokens[token] = id;
    return id;
  }

  std::vector<Instr> readBlock(Block &block) {
    std::vector<Instr> instrs;
    instrs.reserve(block.getOperations().size());
    for (Operation &op : block) {
      Instr instr = readOp(op);
      instr.origin = origins.add(&op);
      instrs.push_back(std::move(instr));
    }
    return instrs;
  }

  Instr readOp(Operation &op) {
    Instr instr;
    if (std::optional<dualpipe::ComputeOp> compute = getComputeOp(&op)) {
      instr.kind = InstrKind::Compute;
      instr.op = *compute;
    } else if (auto message = dyn_cast<MessageOpInterface>(op)) {
      instr.kind = message.isSend() ? InstrKind::Send : InstrKind::Recv;
      instr.key = message.getKey();
      instr.peer = static_cast<int64_t>(message.getPeer());
      if (Value token = message.getToken())
        instr.token = defineToken(token);
    } else if (auto wait = dyn_cast<WaitOp>(op)) {
      instr.kind = InstrKind::Wait;
      auto it = tokens.find(wait.getToken());
      instr.token = it == tokens.end() ? -1 : it->second;
    } else if (auto overlap = dyn_cast<OverlapOp>(op)) {
      instr.kind = InstrKind::Overlap;
      instr.body = readBlock(overlap.getBody().front());
    }
    return instr;
  }
};
} // namespace

dualpipe::Program dualpipe::pipe::readProgram(ScheduleOp schedule,
                                              OriginTable &origins) {
  dualpipe::Program program;
  if (schedule.getKind())
    program.kind = toCore(*schedule.getKind());
  program.placement = placementOf(schedule);
  program.ranks.resize(program.placement.ranks);
  // An explicit empty map: clang 14 (make fuzz) rejects {} for DenseMap's
  // explicit default constructor.
  ProgramReader reader{origins, llvm::DenseMap<Value, int64_t>()};
  for (auto [id, rank] : llvm::enumerate(rankOpsById(schedule)))
    if (rank)
      program.ranks[id] = reader.readBlock(rank.getBody().front());
  return program;
}

//===----------------------------------------------------------------------===//
// Writing.
//===----------------------------------------------------------------------===//

static Operation *createComputeOp(OpBuilder &builder, Location loc,
                                  const dualpipe::ComputeOp &op) {
  uint64_t stage = static_cast<uint64_t>(op.stage);
  uint64_t mb = static_cast<uint64_t>(op.mb);
  switch (op.kind) {
  case dualpipe::OpKind::F:
    return ForwardOp::create(builder, loc, stage, mb);
  case dualpipe::OpKind::B:
    return BackwardOp::create(builder, loc, stage, mb);
  case dualpipe::OpKind::I:
    return BackwardInputOp::create(builder, loc, stage, mb);
  case dualpipe::OpKind::W:
    return BackwardWeightOp::create(builder, loc, stage, mb);
  }
  llvm_unreachable("unknown compute kind");
}

static Block &createBodyBlock(Region &region) {
  region.emplaceBlock();
  return region.front();
}

ScheduleOp dualpipe::pipe::writeSchedule(OpBuilder &builder, Location loc,
                                         StringRef name,
                                         const dualpipe::Schedule &schedule) {
  MLIRContext *context = builder.getContext();
  const dualpipe::Placement &placement = schedule.placement;
  ScheduleKindAttr kind =
      schedule.kind ? ScheduleKindAttr::get(context, fromCore(*schedule.kind))
                    : ScheduleKindAttr();
  auto scheduleOp = ScheduleOp::create(
      builder, loc, builder.getStringAttr(name), kind,
      PlacementKindAttr::get(context, fromCore(placement.kind)),
      builder.getI64IntegerAttr(placement.ranks),
      builder.getI64IntegerAttr(placement.stages),
      builder.getI64IntegerAttr(placement.microbatches),
      /*model=*/FlatSymbolRefAttr(), /*layout=*/DenseI64ArrayAttr(),
      /*message=*/TypeAttr());
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&createBodyBlock(scheduleOp.getBody()));
  for (auto [id, steps] : llvm::enumerate(schedule.ranks)) {
    auto rank = RankOp::create(builder, loc, static_cast<uint64_t>(id));
    OpBuilder::InsertionGuard rankGuard(builder);
    builder.setInsertionPointToStart(&createBodyBlock(rank.getBody()));
    for (const dualpipe::Step &step : steps) {
      if (!step.isOverlap()) {
        createComputeOp(builder, loc, step.first);
        continue;
      }
      auto overlap = OverlapOp::create(builder, loc);
      OpBuilder::InsertionGuard overlapGuard(builder);
      builder.setInsertionPointToStart(&createBodyBlock(overlap.getBody()));
      createComputeOp(builder, loc, step.first);
      createComputeOp(builder, loc, *step.second);
    }
  }
  return scheduleOp;
}

namespace {
/// Rebuilds rank bodies from instructions. Existing ops named by origins are
/// moved into place (keeping their locations); everything else is created.
struct ProgramWriter {
  const OriginTable &origins;
  OpBuilder builder;
  llvm::DenseMap<int64_t, Value> tokens;
  /// By origin: the op was reused. Created ops have no origin.
  std::vector<bool> reused;
  /// Every block written, with the number of ops placed in it. place()
  /// appends, so a block ends with its placed ops; the ops before them are
  /// obsolete (a hash set of placed ops costs more than the rest).
  std::vector<std::pair<Block *, size_t>> written;

  /// The op behind `instr` if it can be reused as is.
  Operation *reusable(const Instr &instr) {
    Operation *op = origins.lookup(instr.origin);
    if (!op || reused[instr.origin])
      return nullptr;
    switch (instr.kind) {
    case InstrKind::Compute: {
      std::optional<dualpipe::ComputeOp> compute = getComputeOp(op);
      return compute && *compute == instr.op ? op : nullptr;
    }
    case InstrKind::Send:
    case InstrKind::Recv: {
      // A recv always has its token; a send keeps its op only if it stays
      // blocking or asynchronous.
      auto message = dyn_cast<MessageOpInterface>(op);
      bool same = message &&
                  message.isSend() == (instr.kind == InstrKind::Send) &&
                  message.getKey() == instr.key &&
                  static_cast<int64_t>(message.getPeer()) == instr.peer &&
                  (!message.isSend() ||
                   static_cast<bool>(message.getToken()) == (instr.token >= 0));
      return same ? op : nullptr;
    }
    case InstrKind::Wait:
      return isa<WaitOp>(op) ? op : nullptr;
    case InstrKind::Overlap:
      return isa<OverlapOp>(op) ? op : nullptr;
    }
    return nullptr;
  }

  Operation *create(const Instr &instr, Location loc) {
    MLIRContext *context = builder.getContext();
    auto kindAttr = [&] {
      return MessageKindAttr::get(context, fromCore(instr.key.kind));
    };
    uint64_t stage = static_cast<uint64_t>(instr.key.stage);
    uint64_t mb = static_cast<uint64_t>(instr.key.mb);
    uint64_t peer = static_cast<uint64_t>(instr.peer);
    switch (instr.kind) {
    case InstrKind::Compute:
      return createComputeOp(builder, loc, instr.op);
    case InstrKind::Send: {
      Type tokenType =
          instr.token >= 0 ? Type(TokenType::get(context)) : Type();
      return SendOp::create(
          builder, loc, tokenType, kindAttr(), builder.getI64IntegerAttr(stage),
          builder.getI64IntegerAttr(mb), builder.getI64IntegerAttr(peer));
    }
    case InstrKind::Recv:
      return RecvOp::create(builder, loc, TokenType::get(context), kindAttr(),
                            builder.getI64IntegerAttr(stage),
                            builder.getI64IntegerAttr(mb),
                            builder.getI64IntegerAttr(peer));
    case InstrKind::Wait:
      return WaitOp::create(builder, loc, tokens.lookup(instr.token));
    case InstrKind::Overlap: {
      auto overlap = OverlapOp::create(builder, loc);
      createBodyBlock(overlap.getBody());
      return overlap;
    }
    }
    llvm_unreachable("unknown instruction kind");
  }

  void place(Block &block, const std::vector<Instr> &instrs, Location loc) {
    for (const Instr &instr : instrs) {
      Operation *op = reusable(instr);
      if (op) {
        op->moveBefore(&block, block.end());
        reused[instr.origin] = true;
      } else {
        builder.setInsertionPointToEnd(&block);
        op = create(instr, loc);
      }
      if (instr.kind == InstrKind::Wait && instr.token >= 0)
        op->setOperand(0, tokens.lookup(instr.token));
      if ((instr.kind == InstrKind::Recv || instr.kind == InstrKind::Send) &&
          instr.token >= 0)
        tokens[instr.token] = op->getResult(0);
      if (instr.kind == InstrKind::Overlap)
        place(cast<OverlapOp>(op).getBody().front(), instr.body, op->getLoc());
    }
    written.emplace_back(&block, instrs.size());
  }

  /// Erases the ops of written blocks that were not placed. Reused ops were
  /// all moved out of obsolete ones before.
  void eraseObsolete() {
    SmallVector<Operation *> obsolete;
    for (auto [block, placedCount] : written) {
      size_t count = block->getOperations().size() - placedCount;
      for (Operation &op :
           llvm::make_range(block->begin(), std::next(block->begin(), count)))
        obsolete.push_back(&op);
    }
    // An obsolete wait may still use an obsolete token: cut references first.
    for (Operation *op : obsolete)
      op->dropAllReferences();
    for (Operation *op : obsolete) {
      op->dropAllUses();
      op->erase();
    }
  }
};
} // namespace

void dualpipe::pipe::writeProgram(ScheduleOp schedule,
                                  const dualpipe::Program &program,
                                  const OriginTable &origins) {
  ProgramWriter writer{origins,
                       OpBuilder(schedule.getContext()),
                       llvm::DenseMap<int64_t, Value>(),
                       std::vector<bool>(origins.ops.size(), false),
                       {}};
  std::vector<RankOp> ranks = rankOpsById(schedule);
  Block &scheduleBlock = schedule.getBody().front();
  for (auto [id, instrs] : llvm::enumerate(program.ranks)) {
    RankOp rank = id < ranks.size() ? ranks[id] : RankOp();
    if (!rank) {
      writer.builder.setInsertionPointToEnd(&scheduleBlock);
      rank = RankOp::create(writer.builder, schedule.getLoc(),
                            static_cast<uint64_t>(id));
      createBodyBlock(rank.getBody());
    }
    writer.place(rank.getBody().front(), instrs, rank.getLoc());
  }
  // Ranks the program does not have keep nothing.
  for (size_t id = program.ranks.size(); id < ranks.size(); ++id)
    if (ranks[id])
      writer.written.emplace_back(&ranks[id].getBody().front(), 0);
  writer.eraseObsolete();
  schedule.setLevel(3);
}

LogicalResult dualpipe::pipe::transformProgram(
    ScheduleOp schedule,
    function_ref<std::vector<dualpipe::Finding>(ScheduleOp,
                                                dualpipe::Program &)>
        transform) {
  if (!schedule.isProgram())
    return success();
  OriginTable origins;
  dualpipe::Program program = readProgram(schedule, origins);
  if (failed(emitFindings(transform(schedule, program), origins, schedule)))
    return failure();
  writeProgram(schedule, program, origins);
  return success();
}

LogicalResult dualpipe::pipe::emitFindings(ArrayRef<dualpipe::Finding> findings,
                                           const OriginTable &origins,
                                           Operation *fallback) {
  // Findings about something absent (a missing op) name a rank: report them
  // at that rank's program.
  auto rankOp = [&](int64_t rank) -> Operation * {
    auto schedule = dyn_cast<ScheduleOp>(fallback);
    if (!schedule || rank < 0)
      return nullptr;
    for (RankOp op : schedule.getRankOps())
      if (static_cast<int64_t>(op.getId()) == rank)
        return op;
    return nullptr;
  };
  for (const dualpipe::Finding &finding : findings) {
    Operation *op = origins.lookup(finding.origin);
    if (!op)
      op = rankOp(finding.where.rank);
    if (!op)
      op = fallback;
    // Not op->emitOpError(): that attaches a dump of the op, which for a
    // whole schedule would bury the message.
    InFlightDiagnostic diag = mlir::emitError(op->getLoc());
    // A module stands for the pass options, not for an op the user wrote.
    if (!isa<ModuleOp>(op))
      diag << "'" << op->getName() << "' op ";
    diag << finding.message;
    for (const dualpipe::Finding::Note &note : finding.notes) {
      Operation *noteOp = origins.lookup(note.origin);
      diag.attachNote(noteOp ? noteOp->getLoc() : fallback->getLoc())
          << note.message;
    }
  }
  return failure(!findings.empty());
}

LogicalResult
dualpipe::pipe::emitPartitionFindings(std::vector<dualpipe::Finding> findings,
                                      Operation *user, ModelOp model) {
  OriginTable origins;
  for (LayerOp layer : model.getBody().front().getOps<LayerOp>())
    origins.add(layer);
  int64_t layers = static_cast<int64_t>(origins.ops.size());
  int64_t userOrigin = origins.add(user);
  int64_t modelOrigin = origins.add(model);
  std::string name = user->getName().getStringRef().str();
  if (auto symbol =
          user->getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName()))
    name += " '" + symbol.getValue().str() + "'";
  for (dualpipe::Finding &finding : findings) {
    if (finding.origin >= 0 && finding.origin < layers) {
      finding.notes.push_back(
          {"partitioned into the stages of " + name, {}, userOrigin});
      continue;
    }
    finding.origin = userOrigin;
    finding.notes.push_back(
        {"model '" + model.getSymName().str() + "' is defined here",
         {},
         modelOrigin});
  }
  return emitFindings(findings, origins, user);
}
