//===- PipeOps.td - pipe operations ------------------------*- tablegen -*-===//
#ifndef DUALPIPE_DIALECT_PIPE_IR_PIPEOPS_TD
#define DUALPIPE_DIALECT_PIPE_IR_PIPEOPS_TD

include "dualpipe/Dialect/Pipe/IR/PipeAttrs.td"
include "dualpipe/Dialect/Pipe/IR/PipeInterfaces.td"
include "dualpipe/Dialect/Pipe/IR/PipeTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"

class Pipe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Pipe_Dialect, mnemonic, traits>;

def Pipe_PositiveI64 : ConfinedAttr<I64Attr, [IntPositive]>;
def Pipe_NonNegativeI64 : ConfinedAttr<I64Attr, [IntNonNegative]>;
def Pipe_ScheduleLevel : ConfinedAttr<I64Attr, [IntMinValue<2>, IntMaxValue<3>]>;
def Pipe_NonNegativeF64 : ConfinedAttr<F64Attr, [
  AttrConstraint<CPred<"!::llvm::cast<::mlir::FloatAttr>($_self).getValue().isNegative()">,
                 "whose value is non-negative">]>;

//===----------------------------------------------------------------------===//
// Level 1: the spec.
//===----------------------------------------------------------------------===//

def Pipe_ModelOp : Pipe_Op<"model", [
    Symbol, NoTerminator, SingleBlock, NoRegionArguments, IsolatedFromAbove]> {
  let summary = "a model as a sequence of layers";
  let description = [{
    Holds `pipe.layer` ops in model order. `config` carries the training set-up
    the runtime needs: `loss` ("mse" or "cross_entropy"), `optimizer` ("sgd" or
    "adam"), `lr`, `seed`, `microbatch_size`, `hidden`, optionally `seq_len`,
    `classes` and `dtype`.

    ```mlir
    pipe.model @mlp config {hidden = 64, microbatch_size = 4, loss = "mse"} {
      pipe.layer kernel("mlp") repeat(16) {ffn = 256} cost(f = 1.0, b = 2.0, w = 1.0)
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       OptionalAttr<DictionaryAttr>:$config);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name (`config` $config^)? attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
}

def Pipe_LayerOp : Pipe_Op<"layer", [HasParent<"ModelOp">]> {
  let summary = "a (repeated) layer of a model";
  let description = [{
    `kernel` names the stage kernel the runtime instantiates ("mlp",
    "transformer", "identity", "torchscript"); `params` are its attributes.
    `cost` gives per-layer compute times for partitioning and simulation:
    forward, full backward and the weight-gradient part of the backward.
  }];
  let arguments = (ins StrAttr:$kernel,
                       DefaultValuedAttr<Pipe_PositiveI64, "1">:$repeat,
                       OptionalAttr<DictionaryAttr>:$params,
                       OptionalAttr<Pipe_NonNegativeF64>:$f,
                       OptionalAttr<Pipe_NonNegativeF64>:$b,
                       OptionalAttr<Pipe_NonNegativeF64>:$w);
  let assemblyFormat = [{
    `kernel` `(` $kernel `)` (`repeat` `(` $repeat^ `)`)? ($params^)?
    (`cost` `(` `f` `=` $f^ `,` `b` `=` $b `,` `w` `=` $w `)`)? attr-dict
  }];
  let hasVerifier = 1;
}

def Pipe_PipelineOp : Pipe_Op<"pipeline", [
    Symbol, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a pipeline-parallel training run over a model";
  let description = [{
    The stage count follows from the schedule: ranks (1f1b, zb-h1, gpipe,
    dualpipe), 2 x ranks (dualpipev, zbv), ranks x virtual_stages
    (interleaved-1f1b). `layout` optionally fixes the number of layers per
    stage; otherwise partitioning balances the layer costs.

    ```mlir
    pipe.pipeline @train model(@mlp) ranks(8) microbatches(20) schedule(dualpipe)
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       OptionalAttr<FlatSymbolRefAttr>:$model,
                       Pipe_PositiveI64:$ranks,
                       Pipe_PositiveI64:$microbatches,
                       Pipe_ScheduleKindAttr:$schedule,
                       OptionalAttr<Pipe_PositiveI64>:$virtual_stages,
                       OptionalAttr<DenseI64ArrayAttr>:$layout);
  let assemblyFormat = [{
    $sym_name (`model` `(` $model^ `)`)? `ranks` `(` $ranks `)`
    `microbatches` `(` $microbatches `)` `schedule` `(` custom<EnumKeyword>($schedule) `)`
    (`virtual_stages` `(` $virtual_stages^ `)`)? (`layout` `(` $layout^ `)`)?
    attr-dict
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Level 2: schedules.
//===----------------------------------------------------------------------===//

def Pipe_ScheduleOp : Pipe_Op<"schedule", [
    Symbol, NoTerminator, SingleBlock, NoRegionArguments, IsolatedFromAbove,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "per-rank programs of a pipeline";
  let description = [{
    One `pipe.rank` region per rank. `placement` says which rank executes a
    (stage, micro-batch): standard (stage s on rank s), interleaved (s mod P),
    v (min(s, 2P-1-s)) or dual (DualPipe: direction 0 micro-batches on rank s,
    direction 1 on rank P-1-s). `kind` is the generating schedule, absent for
    imported schedules. `message` is the tensor type of every activation and
    gradient message; `model` and `layout` tie the stages to the spec.

    `level` says what the rank programs hold: 2 (the default, not printed),
    compute ops only, in program order; 3, lowered programs with their
    communication (`pipe.send`, `pipe.recv`, `pipe.wait`). The passes act on
    it: pipe-insert-comm lowers level 2 to level 3 and leaves level 3 alone,
    pipe-fuse-overlap and pipe-schedule-comm transform level 3 only, and
    pipe-verify-schedule checks each level by its rules.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       OptionalAttr<Pipe_ScheduleKindAttr>:$kind,
                       Pipe_PlacementKindAttr:$placement,
                       Pipe_PositiveI64:$ranks,
                       Pipe_PositiveI64:$stages,
                       Pipe_PositiveI64:$microbatches,
                       OptionalAttr<FlatSymbolRefAttr>:$model,
                       OptionalAttr<DenseI64ArrayAttr>:$layout,
                       OptionalAttr<TypeAttr>:$message,
                       DefaultValuedAttr<Pipe_ScheduleLevel, "2">:$level);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name custom<KindAndPlacement>($kind, $placement)
    `ranks` `(` $ranks `)` `stages` `(` $stages `)`
    `microbatches` `(` $microbatches `)` (`model` `(` $model^ `)`)?
    (`layout` `(` $layout^ `)`)? (`message` `(` $message^ `)`)?
    (`level` `(` $level^ `)`)? attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The rank regions, in the order they appear.
    auto getRankOps() { return getBody().front().getOps<RankOp>(); }
    /// True for lowered programs (level 3), false for schedules (level 2).
    bool isProgram() { return getLevel() == 3; }
  }];
}

def Pipe_RankOp : Pipe_Op<"rank", [
    HasParent<"ScheduleOp">, NoTerminator, SingleBlock, NoRegionArguments]> {
  let summary = "the program of one rank, in execution order";
  let arguments = (ins Pipe_NonNegativeI64:$id);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$id attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
}

class Pipe_ComputeOp<string mnemonic, string kind, string what>
    : Pipe_Op<mnemonic, [ParentOneOf<["RankOp", "OverlapOp"]>,
                         Pipe_ComputeOpInterface]> {
  let summary = what # " of one stage for one micro-batch";
  let arguments = (ins Pipe_NonNegativeI64:$stage, Pipe_NonNegativeI64:$mb);
  let assemblyFormat = "`stage` $stage `mb` $mb attr-dict";
  let extraClassDeclaration = [{
    ::dualpipe::OpKind getComputeKind() { return ::dualpipe::OpKind::}] #
    kind # [{; }
  }];
}

def Pipe_ForwardOp : Pipe_ComputeOp<"forward", "F", "forward (F)">;
def Pipe_BackwardOp : Pipe_ComputeOp<"backward", "B",
    "full backward (B: input and weight gradients)">;
def Pipe_BackwardInputOp : Pipe_ComputeOp<"backward_input", "I",
    "backward for the input gradient (I)">;
def Pipe_BackwardWeightOp : Pipe_ComputeOp<"backward_weight", "W",
    "backward for the weight gradient (W), after its I">;

def Pipe_OverlapOp : Pipe_Op<"overlap", [
    HasParent<"RankOp">, NoTerminator, SingleBlock, NoRegionArguments]> {
  let summary = "a forward and a backward run concurrently as one unit";
  let description = [{
    Holds exactly one `pipe.forward` and one backward-family op, plus the
    communication they need: receives posted and waited before the compute,
    sends issued after. The runtime runs the two computations on separate
    streams or threads.

    ```mlir
    pipe.overlap { pipe.forward stage 0 mb 7 pipe.backward stage 7 mb 13 }
    ```
  }];
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Level 3: communication.
//===----------------------------------------------------------------------===//

def Pipe_SendOp : Pipe_Op<"send", [ParentOneOf<["RankOp", "OverlapOp"]>,
                                   Pipe_MessageOpInterface]> {
  let summary = "send an activation or gradient to another rank";
  let description = [{
    The key (kind, stage, micro-batch) names the producer: an activation is
    the output of F(stage, mb), a gradient the input gradient computed by
    B/I(stage, mb). Without a result the send blocks until the peer has posted
    the matching receive (rendezvous); with a token it is asynchronous and a
    `pipe.wait` on the token blocks until then.

    ```mlir
    pipe.send grad stage 1 mb 3 to 0
    %t = pipe.send activation stage 0 mb 4 to 1 : !pipe.token
    ```
  }];
  let arguments = (ins Pipe_MessageKindAttr:$kind, Pipe_NonNegativeI64:$stage,
                       Pipe_NonNegativeI64:$mb, Pipe_NonNegativeI64:$peer);
  let results = (outs Optional<Pipe_TokenType>:$token);
  let assemblyFormat = [{
    custom<EnumKeyword>($kind) `stage` $stage `mb` $mb `to` $peer attr-dict
    (`:` type($token)^)?
  }];
  let extraClassDeclaration = [{
    bool isSend() { return true; }
  }];
}

def Pipe_RecvOp : Pipe_Op<"recv", [ParentOneOf<["RankOp", "OverlapOp"]>,
                                   Pipe_MessageOpInterface]> {
  let summary = "post a receive; its token completes when the data arrived";
  let description = [{
    Posting never blocks. The key names the producer, as on `pipe.send`.

    ```mlir
    %t = pipe.recv activation stage 0 mb 7 from 0 : !pipe.token
    pipe.wait %t
    ```
  }];
  let arguments = (ins Pipe_MessageKindAttr:$kind, Pipe_NonNegativeI64:$stage,
                       Pipe_NonNegativeI64:$mb, Pipe_NonNegativeI64:$peer);
  let results = (outs Pipe_TokenType:$token);
  let assemblyFormat = [{
    custom<EnumKeyword>($kind) `stage` $stage `mb` $mb `from` $peer attr-dict
    `:` type($token)
  }];
  let extraClassDeclaration = [{
    bool isSend() { return false; }
  }];
}

def Pipe_WaitOp : Pipe_Op<"wait", [ParentOneOf<["RankOp", "OverlapOp"]>]> {
  let summary = "block until a send or receive completes";
  let arguments = (ins Pipe_TokenType:$token);
  let assemblyFormat = "$token attr-dict";
  let hasVerifier = 1;
}

#endif // DUALPIPE_DIALECT_PIPE_IR_PIPEOPS_TD
