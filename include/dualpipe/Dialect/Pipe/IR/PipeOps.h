//===- PipeOps.h - pipe operations ------------------------------*- C++ -*-===//
#ifndef DUALPIPE_DIALECT_PIPE_IR_PIPEOPS_H
#define DUALPIPE_DIALECT_PIPE_IR_PIPEOPS_H

#include "dualpipe/Dialect/Pipe/IR/PipeDialect.h"
#include "dualpipe/Schedule/Schedule.h"

#include <optional>

namespace dualpipe::pipe {
dualpipe::MsgKind toCore(MessageKind kind);
namespace detail {
/// The checks of ComputeOpInterface and MessageOpInterface (PipeOps.cpp).
mlir::LogicalResult verifyComputeOp(mlir::Operation *op);
mlir::LogicalResult verifyMessageOp(mlir::Operation *op);
} // namespace detail
} // namespace dualpipe::pipe

#include "dualpipe/Dialect/Pipe/IR/PipeInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dualpipe/Dialect/Pipe/IR/PipeOps.h.inc"

namespace dualpipe::pipe {

/// The (kind, stage, mb) of a compute op, or nullopt for any other op.
std::optional<dualpipe::ComputeOp> getComputeOp(mlir::Operation *op);

/// The placement described by a schedule op's attributes.
dualpipe::Placement placementOf(ScheduleOp schedule);

/// Conversions between the dialect's enums and the core model's.
dualpipe::ScheduleKind toCore(ScheduleKind kind);
ScheduleKind fromCore(dualpipe::ScheduleKind kind);
dualpipe::PlacementKind toCore(PlacementKind kind);
PlacementKind fromCore(dualpipe::PlacementKind kind);
dualpipe::MsgKind toCore(MessageKind kind);
MessageKind fromCore(dualpipe::MsgKind kind);

} // namespace dualpipe::pipe

#endif // DUALPIPE_DIALECT_PIPE_IR_PIPEOPS_H
