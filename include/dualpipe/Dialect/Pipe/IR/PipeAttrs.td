//===- PipeAttrs.td - pipe enums and attributes ------------*- tablegen -*-===//
#ifndef DUALPIPE_DIALECT_PIPE_IR_PIPEATTRS_TD
#define DUALPIPE_DIALECT_PIPE_IR_PIPEATTRS_TD

include "dualpipe/Dialect/Pipe/IR/PipeDialect.td"
include "mlir/IR/EnumAttr.td"

// Some spellings ("1f1b", "zb-h1") are not bare identifiers, so enums print
// as a keyword when they can and as a string otherwise; both parse.
class Pipe_I32Enum<string name, string summary, list<I32EnumAttrCase> cases>
    : I32EnumAttr<name, summary, cases> {
  let cppNamespace = "::dualpipe::pipe";
  let genSpecializedAttr = 0;
  let parameterPrinter = "$_printer.printKeywordOrString(" #
                         symbolToStringFnName # "($_self))";
}

def Pipe_ScheduleKind : Pipe_I32Enum<"ScheduleKind", "pipeline schedule kind", [
  I32EnumAttrCase<"DualPipe", 0, "dualpipe">,
  I32EnumAttrCase<"DualPipeV", 1, "dualpipev">,
  I32EnumAttrCase<"OneFOneB", 2, "1f1b">,
  I32EnumAttrCase<"Interleaved1F1B", 3, "interleaved-1f1b">,
  I32EnumAttrCase<"ZBH1", 4, "zb-h1">,
  I32EnumAttrCase<"ZBV", 5, "zbv">,
  I32EnumAttrCase<"GPipe", 6, "gpipe">,
  I32EnumAttrCase<"Auto", 7, "auto">
]>;
def Pipe_ScheduleKindAttr
    : EnumAttr<Pipe_Dialect, Pipe_ScheduleKind, "schedule_kind"> {
  let assemblyFormat = "`<` $value `>`";
}

def Pipe_PlacementKind : Pipe_I32Enum<"PlacementKind", "stage placement", [
  I32EnumAttrCase<"Standard", 0, "standard">,
  I32EnumAttrCase<"Interleaved", 1, "interleaved">,
  I32EnumAttrCase<"V", 2, "v">,
  I32EnumAttrCase<"Dual", 3, "dual">
]>;
def Pipe_PlacementKindAttr
    : EnumAttr<Pipe_Dialect, Pipe_PlacementKind, "placement"> {
  let assemblyFormat = "`<` $value `>`";
}

def Pipe_MessageKind : Pipe_I32Enum<"MessageKind", "message kind", [
  I32EnumAttrCase<"Activation", 0, "activation">,
  I32EnumAttrCase<"Gradient", 1, "grad">
]>;
def Pipe_MessageKindAttr
    : EnumAttr<Pipe_Dialect, Pipe_MessageKind, "message_kind"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // DUALPIPE_DIALECT_PIPE_IR_PIPEATTRS_TD
