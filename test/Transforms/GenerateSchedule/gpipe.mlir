// The complete gpipe order for 2 ranks x 3 micro-batches, one CSV row per rank.
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=gpipe ranks=2 microbatches=3" | dualpipe-translate --pipe-to-torch-csv | FileCheck %s
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=gpipe ranks=2 microbatches=3" | FileCheck %s --check-prefix=IR

// CHECK:      0F0,0F1,0F2,0B0,0B1,0B2
// CHECK-NEXT: 1F0,1F1,1F2,1B0,1B1,1B2
// CHECK-NOT: {{.}}

// IR-LABEL: pipe.schedule @main kind(gpipe) placement(standard) ranks(2) stages(2) microbatches(3) {
// IR-NEXT:    pipe.rank 0 {
// IR-NEXT:      pipe.forward stage 0 mb 0
