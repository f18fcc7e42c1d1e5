//===- Passes.td - pipe passes -----------------------------*- tablegen -*-===//
#ifndef DUALPIPE_DIALECT_PIPE_TRANSFORMS_PASSES_TD
#define DUALPIPE_DIALECT_PIPE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

// Options shared by the passes that need the schedule's kind and sizes. A
// kind left empty and a count left std::nullopt are "not given" and fall back
// to the pipeline op (docs/schedules.md states the precedence).
defvar ScheduleShapeOptions = [
  Option<"kind", "kind", "std::string", /*default=*/"\"\"",
         "Schedule kind: dualpipe, dualpipev, 1f1b, interleaved-1f1b, zb-h1, "
         "zbv, gpipe or auto (default: the pipeline's schedule)">,
  Option<"ranks", "ranks", "std::optional<int64_t>", /*default=*/"std::nullopt",
         "Number of ranks (default: the pipeline's ranks)">,
  Option<"virtualStages", "virtual-stages", "std::optional<int64_t>",
         /*default=*/"std::nullopt",
         "Stages per rank for interleaved-1f1b (default: the pipeline's, or 2)">
];

def PipePartitionStages : Pass<"pipe-partition-stages", "mlir::ModuleOp"> {
  let summary = "Group a model's consecutive layers into the schedule's stages";
  let description = [{
    Sets `layout` (layers per stage) on every `pipe.pipeline` that names a
    model. The stage count follows from the schedule kind and rank count.
    Without an explicit `layout` option or attribute, it balances the
    per-layer forward+backward cost. Fails if the model has fewer layers than
    the schedule has stages. Records the kind, ranks and virtual stages it
    is given on the pipeline, for the passes after it.
  }];
  let options = !listconcat(ScheduleShapeOptions, [
    ListOption<"layout", "layout", "int64_t",
               "Explicit layers per stage (overrides balancing)">
  ]);
  let statistics = [
    Statistic<"numPartitioned", "partitioned", "Pipelines partitioned">
  ];
}

def PipeGenerateSchedule : Pass<"pipe-generate-schedule", "mlir::ModuleOp"> {
  let summary = "Generate per-rank compute programs (level 2) from a pipeline";
  let description = [{
    Replaces each `pipe.pipeline` with a `pipe.schedule` holding one
    `pipe.rank` region per rank in the order of the chosen schedule kind.
    Options override the pipeline's attributes (docs/schedules.md states
    the precedence). On a module without a pipeline, `kind`, `ranks` and
    `microbatches` create `pipe.schedule @main`.
  }];
  let options = !listconcat(ScheduleShapeOptions, [
    Option<"microbatches", "microbatches", "std::optional<int64_t>",
           /*default=*/"std::nullopt",
           "Number of micro-batches (default: the pipeline's)">,
    Option<"overlap", "overlap", "bool", /*default=*/"true",
           "Fuse DualPipe forward/backward pairs into pipe.overlap">,
    Option<"forwardOnly", "forward-only", "bool", /*default=*/"false",
           "Inference: emit forwards only">,
    Option<"cost", "cost", "std::string", /*default=*/"\"\"",
           "zb-h1, zbv and auto: cost overrides (the keys of "
           "dualpipe-translate --cost) on top of the model's layer costs">,
    Option<"maxActivations", "max-activations", "int64_t", /*default=*/"0",
           "auto: budget on any rank's peak live activations (0: none)">,
    Option<"maxActivationBytes", "max-activation-bytes", "std::string",
           /*default=*/"\"\"",
           "auto: budget on any rank's peak activation bytes, e.g. 16GiB">,
    Option<"searchEvaluations", "search-evaluations", "int64_t",
           /*default=*/"256",
           "auto: orders local improvement may replay (0: none)">
  ]);
  let dependentDialects = ["::dualpipe::pipe::PipeDialect"];
  let statistics = [
    Statistic<"numComputeOps", "compute-ops", "Compute ops generated">
  ];
}

// The passes from level 2 on anchor on pipe.schedule, which is isolated from
// above: each schedule is one unit of work, and the pass manager may run the
// schedules of a module in parallel.
defvar ScheduleAnchor = "::dualpipe::pipe::ScheduleOp";

def PipeInsertComm : Pass<"pipe-insert-comm", ScheduleAnchor> {
  let summary = "Turn cross-rank dependencies into send/recv/wait (level 3)";
  let description = [{
    Every dependency between ops on different ranks becomes a `pipe.send`
    right after the producer and a `pipe.recv` + `pipe.wait` right before the
    consumer, keyed by (kind, producer stage, micro-batch). Dependencies that
    stay on one rank need no message.
  }];
  let statistics = [
    Statistic<"numMessages", "messages", "Send/recv pairs inserted">
  ];
}

def PipeFuseOverlap : Pass<"pipe-fuse-overlap", ScheduleAnchor> {
  let summary = "Move an overlapped pair's communication into its region";
  let description = [{
    Each `pipe.overlap` absorbs the receives its two computations need
    (posted and waited before them) and the sends they produce (after them),
    so that the runtime executes the region as one unit.
  }];
}

def PipeScheduleComm : Pass<"pipe-schedule-comm", ScheduleAnchor> {
  let summary = "Place receive posts, waits and sends by a policy";
  let description = [{
    `eager` (default) posts receives `lookahead` compute steps before their
    consumer (all at program start when negative), waits right before the
    consumer and sends right after the producer. `reference` (dualpipe and
    dualpipev) reproduces DualPipe's commit-and-wait batching. `in-order`
    (every kind) posts each message on both ranks in one post group in the
    round of its producer, so that every pair's receives follow its sends and
    the program runs under NCCL's in-order matching. The result is checked for
    deadlock freedom under rendezvous sends (in-order: and under in-order
    matching).
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"eager\"",
           "Communication policy: eager, reference or in-order">,
    Option<"lookahead", "lookahead", "int64_t", /*default=*/"-1",
           "eager: post receives this many compute steps early (-1: at start)">
  ];
}

def PipeVerifySchedule : Pass<"pipe-verify-schedule", ScheduleAnchor> {
  let summary = "Prove a level-2 or level-3 schedule complete and deadlock-free";
  let description = [{
    Checks completeness (F and B, or I then W, exactly once per stage and
    micro-batch, on the rank the placement names), local dependency order,
    message matching, token use, and deadlock freedom by executing the rank
    programs under rendezvous semantics. With `matching=in-order` (NCCL),
    level-3 programs are instead proven under in-order matching: every pair's
    receives in the order of its sends, and no hang of the in-order,
    stream-blocking execution of post groups. Every finding is an error at the
    offending op with notes at the related ones.
  }];
  let options = [
    Option<"matching", "matching", "std::string", /*default=*/"\"by-key\"",
           "How sends meet receives: by-key or in-order (NCCL)">
  ];
}

#endif // DUALPIPE_DIALECT_PIPE_TRANSFORMS_PASSES_TD
