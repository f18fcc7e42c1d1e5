//===- PipeDialect.h - pipe dialect -----------------------------*- C++ -*-===//
#ifndef DUALPIPE_DIALECT_PIPE_IR_PIPEDIALECT_H
#define DUALPIPE_DIALECT_PIPE_IR_PIPEDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"

#include "dualpipe/Dialect/Pipe/IR/PipeDialect.h.inc"
#include "dualpipe/Dialect/Pipe/IR/PipeEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dualpipe/Dialect/Pipe/IR/PipeAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dualpipe/Dialect/Pipe/IR/PipeTypes.h.inc"

#endif // DUALPIPE_DIALECT_PIPE_IR_PIPEDIALECT_H
