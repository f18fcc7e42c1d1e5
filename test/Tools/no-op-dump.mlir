// Verifier errors, at parse time and after a pass, print the message and its
// location without a generic-form dump of the op ("see current operation");
// --mlir-print-op-on-diagnostic turns the dump back on.
// RUN: not dualpipe-opt %s 2>&1 | FileCheck %s --check-prefix=PARSE --implicit-check-not="see current operation"
// RUN: not dualpipe-opt %s --mlir-print-op-on-diagnostic 2>&1 | FileCheck %s --check-prefix=DUMP
// RUN: sed 's/placement(dual) ranks(4) stages(8)/placement(dual) ranks(4) stages(4)/' %s | not dualpipe-opt --pipe-verify-schedule 2>&1 | FileCheck %s --check-prefix=PASS --implicit-check-not="see current operation"

// PARSE: error: 'pipe.schedule' op dual placement requires stages == ranks (4), got 8
// DUMP: error: 'pipe.schedule' op dual placement requires stages == ranks (4), got 8
// DUMP: note: see current operation
// PASS: error: 'pipe.rank' op rank 0: F(stage 0, mb 1) is missing
pipe.schedule @s placement(dual) ranks(4) stages(8) microbatches(8) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
  }
}
