// Options override the spec's attributes; without options the spec applies.
// RUN: dualpipe-opt %s --pipe-generate-schedule | FileCheck %s --check-prefix=SPEC
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=gpipe ranks=2 microbatches=2" | FileCheck %s --check-prefix=OVERRIDE
// RUN: dualpipe-opt %s --pipe-generate-schedule="microbatches=3" | FileCheck %s --check-prefix=PARTIAL
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=dualpipe ranks=2 microbatches=4 overlap=false" | dualpipe-translate --pipe-to-torch-csv | FileCheck %s --check-prefix=NOOVERLAP
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=dualpipe ranks=2 microbatches=4" | dualpipe-translate --pipe-to-torch-csv | FileCheck %s --check-prefix=OVERLAP
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=dualpipe ranks=2 microbatches=4 forward-only=true" | dualpipe-translate --pipe-to-torch-csv | FileCheck %s --check-prefix=FORWARD
// RUN: echo | dualpipe-opt - --pipe-generate-schedule="kind=zbv ranks=2 microbatches=4" | FileCheck %s --check-prefix=EMPTY
// RUN: dualpipe-opt %s --pipe-generate-schedule | dualpipe-opt --pipe-generate-schedule | FileCheck %s --check-prefix=SPEC

pipe.model @m {
  pipe.layer kernel("mlp") repeat(4)
}
pipe.pipeline @train model(@m) ranks(2) microbatches(2) schedule("1f1b") layout([2, 2])

// SPEC:          pipe.schedule @train kind("1f1b") placement(standard) ranks(2) stages(2) microbatches(2) model(@m) layout([2, 2]) {
// SPEC-NEXT:       pipe.rank 0 {
// SPEC-NEXT:         pipe.forward stage 0 mb 0
// SPEC-NEXT:         pipe.forward stage 0 mb 1
// SPEC-NEXT:         pipe.backward stage 0 mb 0
// SPEC-NEXT:         pipe.backward stage 0 mb 1
// SPEC-NEXT:       }
// SPEC-NEXT:       pipe.rank 1 {
// SPEC-NEXT:         pipe.forward stage 1 mb 0
// SPEC-NEXT:         pipe.backward stage 1 mb 0
// SPEC-NEXT:         pipe.forward stage 1 mb 1
// SPEC-NEXT:         pipe.backward stage 1 mb 1
// SPEC-NEXT:       }
// SPEC-NEXT:     }
// SPEC-NOT:      pipe.pipeline

// OVERRIDE:      pipe.schedule @train kind(gpipe) placement(standard) ranks(2) stages(2) microbatches(2)
// PARTIAL:       pipe.schedule @train kind("1f1b") placement(standard) ranks(2) stages(2) microbatches(3)

// Every overlapped pair F0&B1 / F1&B0 becomes F then B.
// OVERLAP:       0F0,1F2,0F1,1B2,(1F3;0B0)OVERLAP_F_B,1B3,0I1,0W1
// NOOVERLAP:     0F0,1F2,0F1,1B2,1F3,0B0,1B3,0I1,0W1
// NOOVERLAP-NOT: OVERLAP
// FORWARD:       0F0,1F2,0F1,1F3
// FORWARD-NEXT:  0F2,1F0,0F3,1F1
// FORWARD-NOT:   {{[BIW]}}

// EMPTY:         pipe.schedule @main kind(zbv) placement(v) ranks(2) stages(4) microbatches(4) {
