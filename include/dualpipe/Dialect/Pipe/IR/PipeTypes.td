//===- PipeTypes.td - pipe types ---------------------------*- tablegen -*-===//
#ifndef DUALPIPE_DIALECT_PIPE_IR_PIPETYPES_TD
#define DUALPIPE_DIALECT_PIPE_IR_PIPETYPES_TD

include "dualpipe/Dialect/Pipe/IR/PipeDialect.td"

def Pipe_TokenType : TypeDef<Pipe_Dialect, "Token"> {
  let mnemonic = "token";
  let summary = "completion token of an asynchronous send or receive";
  let description = [{
    Produced by `pipe.recv` (and by an asynchronous `pipe.send`) and consumed
    by exactly one `pipe.wait` on the same rank.
  }];
}

#endif // DUALPIPE_DIALECT_PIPE_IR_PIPETYPES_TD
