// The complete interleaved-1f1b order for 2 ranks x 4 micro-batches, one CSV row per rank.
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=interleaved-1f1b ranks=2 microbatches=4" | dualpipe-translate --pipe-to-torch-csv | FileCheck %s
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=interleaved-1f1b ranks=2 microbatches=4" | FileCheck %s --check-prefix=IR

// CHECK:      0F0,0F1,2F0,2F1,0F2,2B0,0F3,2B1,2F2,0B0,2F3,0B1,2B2,2B3,0B2,0B3
// CHECK-NEXT: 1F0,1F1,3F0,3B0,3F1,3B1,1F2,1B0,1F3,1B1,3F2,3B2,3F3,3B3,1B2,1B3
// CHECK-NOT: {{.}}

// IR-LABEL: pipe.schedule @main kind("interleaved-1f1b") placement(interleaved) ranks(2) stages(4) microbatches(4) {
// IR-NEXT:    pipe.rank 0 {
// IR-NEXT:      pipe.forward stage 0 mb 0
