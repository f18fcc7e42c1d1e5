//===- PipeDialect.cpp - pipe dialect registration ------------------------===//
#include "dualpipe/Dialect/Pipe/IR/PipeDialect.h"
#include "dualpipe/Dialect/Pipe/IR/PipeOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace dualpipe::pipe;

#include "dualpipe/Dialect/Pipe/IR/PipeDialect.cpp.inc"
#include "dualpipe/Dialect/Pipe/IR/PipeEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dualpipe/Dialect/Pipe/IR/PipeAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dualpipe/Dialect/Pipe/IR/PipeTypes.cpp.inc"

void PipeDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dualpipe/Dialect/Pipe/IR/PipeOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dualpipe/Dialect/Pipe/IR/PipeAttrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dualpipe/Dialect/Pipe/IR/PipeTypes.cpp.inc"
      >();
}
