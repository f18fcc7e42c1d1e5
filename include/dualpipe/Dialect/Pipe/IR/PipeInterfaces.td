//===- PipeInterfaces.td - pipe op interfaces --------------*- tablegen -*-===//
//
// What the compute ops and the message ops have in common, so that passes,
// verifiers and the IR <-> core conversion treat each family as one.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_DIALECT_PIPE_IR_PIPEINTERFACES_TD
#define DUALPIPE_DIALECT_PIPE_IR_PIPEINTERFACES_TD

include "mlir/IR/OpBase.td"

def Pipe_ComputeOpInterface : OpInterface<"ComputeOpInterface"> {
  let cppNamespace = "::dualpipe::pipe";
  let description = [{
    An op that runs one stage for one micro-batch: forward (F), full backward
    (B), input-gradient backward (I) or weight-gradient backward (W). Its
    verifier checks that the stage and micro-batch are in range for the
    enclosing schedule and that the placement puts them on the enclosing
    rank.
  }];
  let methods = [
    InterfaceMethod<"The stage it runs.", "uint64_t", "getStage">,
    InterfaceMethod<"The micro-batch it runs.", "uint64_t", "getMb">,
    InterfaceMethod<"Which part of the training step it is (F, B, I or W).",
                    "::dualpipe::OpKind", "getComputeKind">,
  ];
  let extraSharedClassDeclaration = [{
    /// The op as the core model's (kind, stage, micro-batch).
    ::dualpipe::ComputeOp getComputeOp() {
      return {$_op.getComputeKind(), static_cast<int64_t>($_op.getStage()),
              static_cast<int64_t>($_op.getMb())};
    }
  }];
  let verify = [{ return ::dualpipe::pipe::detail::verifyComputeOp($_op); }];
}

def Pipe_MessageOpInterface : OpInterface<"MessageOpInterface"> {
  let cppNamespace = "::dualpipe::pipe";
  let description = [{
    One end of a message between two ranks: its key (kind, producer stage,
    micro-batch), the peer rank and its completion token (always for a
    receive, for an asynchronous send only). Its verifier checks the key's
    range, that the peer is another rank of the schedule, and that the
    placement puts the producer (send) or the consumer (recv) of the keyed
    value on the enclosing rank.
  }];
  let methods = [
    InterfaceMethod<"Activation or gradient.", "::dualpipe::pipe::MessageKind",
                    "getKind">,
    InterfaceMethod<"The producer's stage.", "uint64_t", "getStage">,
    InterfaceMethod<"The micro-batch.", "uint64_t", "getMb">,
    InterfaceMethod<"The rank at the other end.", "uint64_t", "getPeer">,
    InterfaceMethod<"The completion token, null for a blocking send.",
                    "::mlir::Value", "getToken">,
    InterfaceMethod<"True for the sending end, false for the receiving one.",
                    "bool", "isSend">,
  ];
  let extraSharedClassDeclaration = [{
    /// The message key as the core model's.
    ::dualpipe::MsgKey getKey() {
      return {::dualpipe::pipe::toCore($_op.getKind()),
              static_cast<int64_t>($_op.getStage()),
              static_cast<int64_t>($_op.getMb())};
    }
  }];
  let verify = [{ return ::dualpipe::pipe::detail::verifyMessageOp($_op); }];
}

#endif // DUALPIPE_DIALECT_PIPE_IR_PIPEINTERFACES_TD
