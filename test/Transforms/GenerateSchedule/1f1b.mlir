// The complete 1f1b order for 3 ranks x 4 micro-batches, one CSV row per rank.
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=1f1b ranks=3 microbatches=4" | dualpipe-translate --pipe-to-torch-csv | FileCheck %s
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=1f1b ranks=3 microbatches=4" | FileCheck %s --check-prefix=IR

// CHECK:      0F0,0F1,0F2,0B0,0F3,0B1,0B2,0B3
// CHECK-NEXT: 1F0,1F1,1B0,1F2,1B1,1F3,1B2,1B3
// CHECK-NEXT: 2F0,2B0,2F1,2B1,2F2,2B2,2F3,2B3
// CHECK-NOT: {{.}}

// IR-LABEL: pipe.schedule @main kind("1f1b") placement(standard) ranks(3) stages(3) microbatches(4) {
// IR-NEXT:    pipe.rank 0 {
// IR-NEXT:      pipe.forward stage 0 mb 0
