//===- PipeOps.cpp - pipe operations and their verifiers ------------------===//
//
// Op verifiers check what is local to one op tree: ranges, placement of the
// stages an op names, overlap shape and token use. Whole-program properties
// (completeness, matching, deadlock) are checked by pipe-verify-schedule.
//
//===----------------------------------------------------------------------===//
#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"
#include "dualpipe/Schedule/Kernels.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/DenseSet.h"
#include <limits>

using namespace mlir;
using namespace dualpipe::pipe;

//===----------------------------------------------------------------------===//
// Enum conversions and helpers.
//===----------------------------------------------------------------------===//

// The dialect's enums and the core model's are declared in the same order.
dualpipe::ScheduleKind dualpipe::pipe::toCore(ScheduleKind kind) {
  return static_cast<dualpipe::ScheduleKind>(static_cast<uint32_t>(kind));
}
ScheduleKind dualpipe::pipe::fromCore(dualpipe::ScheduleKind kind) {
  return static_cast<ScheduleKind>(static_cast<uint32_t>(kind));
}
dualpipe::PlacementKind dualpipe::pipe::toCore(PlacementKind kind) {
  return static_cast<dualpipe::PlacementKind>(static_cast<uint32_t>(kind));
}
PlacementKind dualpipe::pipe::fromCore(dualpipe::PlacementKind kind) {
  return static_cast<PlacementKind>(static_cast<uint32_t>(kind));
}
dualpipe::MsgKind dualpipe::pipe::toCore(MessageKind kind) {
  return static_cast<dualpipe::MsgKind>(static_cast<uint32_t>(kind));
}
MessageKind dualpipe::pipe::fromCore(dualpipe::MsgKind kind) {
  return static_cast<MessageKind>(static_cast<uint32_t>(kind));
}

std::optional<dualpipe::ComputeOp> dualpipe::pipe::getComputeOp(Operation *op) {
  if (auto compute = dyn_cast<ComputeOpInterface>(op))
    return compute.getComputeOp();
  return std::nullopt;
}

dualpipe::Placement dualpipe::pipe::placementOf(ScheduleOp schedule) {
  dualpipe::Placement placement;
  placement.kind = toCore(schedule.getPlacement());
  placement.ranks = static_cast<int64_t>(schedule.getRanks());
  placement.stages = static_cast<int64_t>(schedule.getStages());
  placement.microbatches = static_cast<int64_t>(schedule.getMicrobatches());
  return placement;
}

namespace {
/// The schedule and rank an op of a rank program belongs to.
struct RankContext {
  ScheduleOp schedule;
  RankOp rank;
  dualpipe::Placement placement;
  int64_t rankId() { return static_cast<int64_t>(rank.getId()); }
};
} // namespace

/// Context of a level-2/3 op, or nullopt if the enclosing schedule is itself
/// malformed (its own verifier reports that), so that we never compute a
/// placement from inconsistent sizes.
static std::optional<RankContext> getRankContext(Operation *op) {
  auto rank = op->getParentOfType<RankOp>();
  if (!rank)
    return std::nullopt;
  auto schedule = rank->getParentOfType<ScheduleOp>();
  if (!schedule)
    return std::nullopt;
  RankContext context{schedule, rank, placementOf(schedule)};
  if (!context.placement.checkSizes().empty() ||
      context.rankId() >= context.placement.ranks)
    return std::nullopt;
  return context;
}

static LogicalResult verifyStageAndMb(Operation *op, RankContext &context,
                                      uint64_t stage, uint64_t mb) {
  const dualpipe::Placement &placement = context.placement;
  if (stage >= static_cast<uint64_t>(placement.stages))
    return op->emitOpError()
           << "stage " << stage << " is out of range: the schedule has "
           << placement.stages << " stages";
  if (mb >= static_cast<uint64_t>(placement.microbatches))
    return op->emitOpError()
           << "micro-batch " << mb << " is out of range: the schedule has "
           << placement.microbatches << " micro-batches";
  return success();
}

static LogicalResult verifyPlacedOnRank(Operation *op, RankContext &context,
                                        int64_t stage, int64_t mb,
                                        StringRef role) {
  int64_t expected = context.placement.rankOf(stage, mb);
  if (expected != context.rankId())
    return op->emitOpError()
           << role << "stage " << stage << " of micro-batch " << mb
           << " is placed on rank " << expected << " by the "
           << stringifyPlacementKind(context.schedule.getPlacement())
           << " placement, not on rank " << context.rankId();
  return success();
}

LogicalResult dualpipe::pipe::detail::verifyComputeOp(Operation *op) {
  auto compute = cast<ComputeOpInterface>(op);
  std::optional<RankContext> context = getRankContext(op);
  if (!context)
    return success();
  if (failed(
          verifyStageAndMb(op, *context, compute.getStage(), compute.getMb())))
    return failure();
  return verifyPlacedOnRank(op, *context,
                            static_cast<int64_t>(compute.getStage()),
                            static_cast<int64_t>(compute.getMb()), "");
}

//===----------------------------------------------------------------------===//
// Custom assembly: enums as bare keywords.
//===----------------------------------------------------------------------===//

// Enum attributes print as `#pipe.schedule_kind<dualpipe>` on their own; in op
// syntax only the keyword is printed, quoted where it is not an identifier
// ("1f1b").
/// A spelling that starts with a digit ("1f1b") lexes as an integer and a
/// keyword; they are glued back when nothing stands between them.
static bool parseDigitSpelling(OpAsmParser &parser, std::string &spelling) {
  SMLoc start = parser.getCurrentLocation();
  uint64_t number = 0;
  OptionalParseResult integer = parser.parseOptionalInteger(number);
  if (!integer.has_value() || failed(*integer))
    return false;
  std::string digits = std::to_string(number);
  StringRef tail;
  if (parser.getCurrentLocation().getPointer() !=
          start.getPointer() + digits.size() ||
      failed(parser.parseOptionalKeyword(&tail)))
    return false;
  spelling = digits + tail.str();
  return true;
}

template <typename EnumT>
static InFlightDiagnostic &listSpellings(InFlightDiagnostic &diag) {
  diag << "expected one of:";
  std::string quoted;
  for (uint32_t i = 0; !stringifyEnum(static_cast<EnumT>(i)).empty(); ++i) {
    StringRef spelling = stringifyEnum(static_cast<EnumT>(i));
    diag << " " << spelling;
    if (quoted.empty() && spelling.contains('-'))
      quoted = spelling.str();
  }
  if (!quoted.empty())
    diag << " (quote a spelling with '-', e.g. \"" << quoted << "\")";
  return diag;
}

template <typename AttrT>
static ParseResult parseEnumKeyword(OpAsmParser &parser, AttrT &attr) {
  using EnumT = decltype(std::declval<AttrT>().getValue());
  SMLoc loc = parser.getCurrentLocation();
  std::string keyword;
  if (failed(parser.parseOptionalKeywordOrString(&keyword)) &&
      !parseDigitSpelling(parser, keyword)) {
    InFlightDiagnostic diag = parser.emitError(loc);
    return listSpellings<EnumT>(diag);
  }
  if (std::optional<EnumT> value = symbolizeEnum<EnumT>(keyword)) {
    attr = AttrT::get(parser.getContext(), *value);
    return success();
  }
  InFlightDiagnostic diag = parser.emitError(loc)
                            << "unknown value '" << keyword << "'; ";
  return listSpellings<EnumT>(diag);
}

template <typename AttrT>
static void printEnumKeyword(OpAsmPrinter &printer, Operation *, AttrT attr) {
  printer.printKeywordOrString(stringifyEnum(attr.getValue()));
}

/// `kind(K) placement(P)`, where the kind is optional (imported schedules
/// have none).
static ParseResult parseKindAndPlacement(OpAsmParser &parser,
                                         ScheduleKindAttr &kind,
                                         PlacementKindAttr &placement) {
  if (succeeded(parser.parseOptionalKeyword("kind")) &&
      (parser.parseLParen() || parseEnumKeyword(parser, kind) ||
       parser.parseRParen()))
    return failure();
  return failure(parser.parseKeyword("placement") || parser.parseLParen() ||
                 parseEnumKeyword(parser, placement) || parser.parseRParen());
}

static void printKindAndPlacement(OpAsmPrinter &printer, Operation *op,
                                  ScheduleKindAttr kind,
                                  PlacementKindAttr placement) {
  if (kind) {
    printer << "kind(";
    printEnumKeyword(printer, op, kind);
    printer << ") ";
  }
  printer << "placement(";
  printEnumKeyword(printer, op, placement);
  printer << ")";
}

//===----------------------------------------------------------------------===//
// Level 1.
//===----------------------------------------------------------------------===//

LogicalResult ModelOp::verifyRegions() {
  bool hasLayer = false;
  for (Operation &op : getBody().front()) {
    if (!isa<LayerOp>(op))
      return op.emitOpError() << "is not allowed in a pipe.model; expected "
                                 "pipe.layer ops only";
    hasLayer = true;
  }
  if (!hasLayer)
    return emitOpError() << "model '" << getSymName() << "' has no layers";
  // Saturating: a count past int64 is refused by the partitioner, and the
  // positions below only need to tell first and last apart.
  auto add = [](int64_t a, int64_t b) {
    return a > std::numeric_limits<int64_t>::max() - b
               ? std::numeric_limits<int64_t>::max()
               : a + b;
  };
  int64_t count = 0;
  for (LayerOp layer : getBody().front().getOps<LayerOp>())
    count = add(count, layer.getRepeat());
  int64_t first = 0;
  for (LayerOp layer : getBody().front().getOps<LayerOp>()) {
    std::string bad = dualpipe::layerPositionError(layer.getKernel(), first,
                                                   layer.getRepeat(), count);
    if (!bad.empty())
      return layer.emitOpError() << bad;
    first = add(first, layer.getRepeat());
  }
  return success();
}

LogicalResult LayerOp::verify() {
  if (getKernel().empty())
    return emitOpError() << "kernel name must not be empty";
  int costs = getF().has_value() + getB().has_value() + getW().has_value();
  if (costs != 0 && costs != 3)
    return emitOpError() << "cost needs f, b and w together";
  if (costs == 3 && getW()->convertToDouble() > getB()->convertToDouble())
    return emitOpError() << "weight-gradient cost w = "
                         << getW()->convertToDouble()
                         << " exceeds the backward cost b = "
                         << getB()->convertToDouble();
  return success();
}

static LogicalResult verifyLayout(Operation *op,
                                  std::optional<ArrayRef<int64_t>> layout) {
  if (!layout)
    return success();
  if (layout->empty())
    return op->emitOpError() << "layout must not be empty";
  for (auto [index, layers] : llvm::enumerate(*layout))
    if (layers <= 0)
      return op->emitOpError() << "layout entry " << index << " is " << layers
                               << "; every stage needs at least one layer";
  return success();
}

LogicalResult PipelineOp::verify() {
  if (getVirtualStages() && getSchedule() != ScheduleKind::Interleaved1F1B &&
      *getVirtualStages() != 1)
    return emitOpError() << "virtual_stages is only valid for the "
                            "interleaved-1f1b schedule, not "
                         << stringifyScheduleKind(getSchedule());
  return verifyLayout(*this, getLayout());
}

static LogicalResult verifyModelSymbol(Operation *op,
                                       std::optional<StringRef> model,
                                       SymbolTableCollection &symbolTable) {
  if (!model)
    return success();
  Operation *target = symbolTable.lookupNearestSymbolFrom(
      op, StringAttr::get(op->getContext(), *model));
  if (!target)
    return op->emitOpError() << "model '@" << *model << "' does not exist";
  if (!isa<ModelOp>(target))
    return op->emitOpError() << "'@" << *model << "' is a '"
                             << target->getName() << "', not a pipe.model";
  return success();
}

LogicalResult PipelineOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyModelSymbol(*this, getModel(), symbolTable);
}

//===----------------------------------------------------------------------===//
// Level 2.
//===----------------------------------------------------------------------===//

LogicalResult ScheduleOp::verify() {
  dualpipe::Placement placement = dualpipe::pipe::placementOf(*this);
  std::string sizeError = placement.checkSizes();
  if (!sizeError.empty())
    return emitOpError() << sizeError;
  if (getKind()) {
    dualpipe::PlacementKind expected =
        dualpipe::placementFor(toCore(*getKind()));
    if (!dualpipe::allowsPlacement(toCore(*getKind()), placement.kind))
      return emitOpError() << "schedule kind "
                           << stringifyScheduleKind(*getKind()) << " uses the "
                           << dualpipe::toString(expected) << " placement, not "
                           << stringifyPlacementKind(getPlacement());
  }
  if (getLayout() && getLayout()->size() != getStages())
    return emitOpError() << "layout has " << getLayout()->size()
                         << " entries for " << getStages() << " stages";
  if (getMessage() && !isa<RankedTensorType>(*getMessage()))
    return emitOpError() << "message type must be a ranked tensor, got "
                         << *getMessage();
  return verifyLayout(*this, getLayout());
}

/// A level-2 schedule holds no communication; a level-3 program may hold any
/// rank program op.
static LogicalResult verifyLevel(RankOp rank, uint64_t level) {
  if (level == 3)
    return success();
  WalkResult comm = rank.walk([](Operation *op) {
    if (!isa<MessageOpInterface, WaitOp>(op))
      return WalkResult::advance();
    op->emitOpError() << "is communication in a level-2 schedule; "
                         "pipe-insert-comm lowers a schedule to level 3, or "
                         "mark a hand-written program level(3)";
    return WalkResult::interrupt();
  });
  return failure(comm.wasInterrupted());
}

LogicalResult ScheduleOp::verifyRegions() {
  llvm::DenseMap<uint64_t, RankOp> seen;
  for (Operation &op : getBody().front()) {
    auto rank = dyn_cast<RankOp>(op);
    if (!rank)
      return op.emitOpError() << "is not allowed in a pipe.schedule; expected "
                                 "pipe.rank ops only";
    if (rank.getId() >= getRanks())
      return rank.emitOpError()
             << "rank id " << rank.getId()
             << " is out of range: the schedule has " << getRanks() << " ranks";
    if (failed(verifyLevel(rank, getLevel())))
      return failure();
    auto [it, inserted] = seen.try_emplace(rank.getId(), rank);
    if (!inserted)
      return rank.emitOpError()
                 .append("rank ", rank.getId(), " is defined twice")
                 .attachNote(it->second.getLoc())
             << "first definition here";
  }
  return success();
}

LogicalResult ScheduleOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyModelSymbol(*this, getModel(), symbolTable);
}

static bool isRankProgramOp(Operation &op) {
  return isa<ComputeOpInterface, MessageOpInterface, OverlapOp, WaitOp>(op);
}

LogicalResult RankOp::verifyRegions() {
  for (Operation &op : getBody().front())
    if (!isRankProgramOp(op))
      return op.emitOpError() << "is not allowed in a pipe.rank; expected "
                                 "compute, overlap or communication ops";
  return success();
}

LogicalResult OverlapOp::verifyRegions() {
  Operation *forward = nullptr;
  Operation *backward = nullptr;
  for (Operation &op : getBody().front()) {
    if (isa<MessageOpInterface, WaitOp>(op))
      continue;
    auto compute = dyn_cast<ComputeOpInterface>(op);
    Operation **slot = !compute ? nullptr
                       : compute.getComputeKind() == dualpipe::OpKind::F
                           ? &forward
                           : &backward;
    if (!slot)
      return op.emitOpError() << "is not allowed in a pipe.overlap; expected "
                                 "one forward, one backward-family op and "
                                 "communication";
    if (*slot)
      return emitOpError()
                 .append("holds more than one ",
                         slot == &forward ? "forward" : "backward-family",
                         " op; expected exactly one forward and one "
                         "backward-family op")
                 .attachNote(op.getLoc())
             << "second one here";
    *slot = &op;
  }
  if (!forward || !backward)
    return emitOpError() << "lacks a "
                         << (forward ? "backward-family" : "forward")
                         << " op; expected exactly one forward and one "
                            "backward-family op";
  return success();
}

//===----------------------------------------------------------------------===//
// Level 3.
//===----------------------------------------------------------------------===//

/// Checks a message key and peer. A send's rank produces the keyed data, a
/// recv's rank consumes it.
LogicalResult dualpipe::pipe::detail::verifyMessageOp(Operation *op) {
  auto message = cast<MessageOpInterface>(op);
  MessageKind kind = message.getKind();
  uint64_t stage = message.getStage(), mb = message.getMb();
  uint64_t peer = message.getPeer();
  bool producerSide = message.isSend();
  std::optional<RankContext> context = getRankContext(op);
  if (!context)
    return success();
  if (failed(verifyStageAndMb(op, *context, stage, mb)))
    return failure();
  if (peer >= static_cast<uint64_t>(context->placement.ranks))
    return op->emitOpError()
           << "peer rank " << peer << " is out of range: the schedule has "
           << context->placement.ranks << " ranks";
  if (static_cast<int64_t>(peer) == context->rankId())
    return op->emitOpError() << "peer is its own rank " << peer
                             << "; data that stays on a rank needs no message";
  int64_t s = static_cast<int64_t>(stage);
  bool isActivation = kind == MessageKind::Activation;
  if (isActivation && s + 1 >= context->placement.stages)
    return op->emitOpError()
           << "stage " << s << " is the last stage; it sends no activation";
  if (!isActivation && s == 0)
    return op->emitOpError()
           << "stage 0 is the first stage; it produces no input gradient";
  int64_t localStage = producerSide ? s : (isActivation ? s + 1 : s - 1);
  return verifyPlacedOnRank(op, *context, localStage, static_cast<int64_t>(mb),
                            producerSide ? "producer " : "consumer ");
}

/// The ancestor of `op` that sits directly in `block`, if any.
static Operation *ancestorIn(Block *block, Operation *op) {
  return block->findAncestorOpInBlock(*op);
}

LogicalResult WaitOp::verify() {
  Operation *producer = getToken().getDefiningOp();
  auto waitRank = (*this)->getParentOfType<RankOp>();
  auto tokenRank = producer ? producer->getParentOfType<RankOp>() : RankOp();
  if (!producer || !tokenRank || tokenRank != waitRank) {
    InFlightDiagnostic diag = emitOpError();
    diag << "waits on a token that is not produced on its own rank";
    if (tokenRank && waitRank)
      diag << ": the token comes from rank " << tokenRank.getId()
           << ", this wait is on rank " << waitRank.getId();
    if (producer)
      diag.attachNote(producer->getLoc()) << "token produced here";
    return diag;
  }
  // Report only at a later wait, so that one double wait is one error.
  Block *rankBlock = &waitRank.getBody().front();
  Operation *self = ancestorIn(rankBlock, *this);
  for (Operation *user : getToken().getUsers()) {
    if (user == getOperation() || !isa<WaitOp>(user))
      continue;
    Operation *other = ancestorIn(rankBlock, user);
    // A wait outside this rank (a forward reference into another schedule)
    // is reported by its own verifier.
    if (!other)
      continue;
    bool otherFirst = other == self ? user->isBeforeInBlock(*this)
                                    : other->isBeforeInBlock(self);
    if (otherFirst)
      return emitOpError()
                 .append("waits on a token that is already waited on")
                 .attachNote(user->getLoc())
             << "first wait here";
  }
  return success();
}

#include "dualpipe/Dialect/Pipe/IR/PipeInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dualpipe/Dialect/Pipe/IR/PipeOps.cpp.inc"
