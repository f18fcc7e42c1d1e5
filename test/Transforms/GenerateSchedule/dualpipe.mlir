// The complete dualpipe order for 4 ranks x 8 micro-batches, one CSV row per rank.
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=dualpipe ranks=4 microbatches=8" | dualpipe-translate --pipe-to-torch-csv | FileCheck %s
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=dualpipe ranks=4 microbatches=8" | FileCheck %s --check-prefix=IR

// CHECK:      0F0,0F1,0F2,3F4,3I4,3W4,3F5,(0F3;3B5)OVERLAP_F_B,(3F6;0B0)OVERLAP_F_B,3B6,(3F7;0B1)OVERLAP_F_B,3B7,0I2,0W2,0I3,0W3
// CHECK-NEXT: 1F0,2F4,1F1,2F5,1F2,2B4,(2F6;1B0)OVERLAP_F_B,(1F3;2B5)OVERLAP_F_B,(2F7;1B1)OVERLAP_F_B,2B6,1B2,2I7,1I3,2W7,1W3
// CHECK-NEXT: 1F4,2F0,1F5,2F1,1F6,2B0,(2F2;1B4)OVERLAP_F_B,(1F7;2B1)OVERLAP_F_B,(2F3;1B5)OVERLAP_F_B,2B2,1B6,2I3,1I7,2W3,1W7
// CHECK-NEXT: 0F4,0F5,0F6,3F0,3I0,3W0,3F1,(0F7;3B1)OVERLAP_F_B,(3F2;0B4)OVERLAP_F_B,3B2,(3F3;0B5)OVERLAP_F_B,3B3,0I6,0W6,0I7,0W7
// CHECK-NOT: {{.}}

// IR-LABEL: pipe.schedule @main kind(dualpipe) placement(dual) ranks(4) stages(4) microbatches(8) {
// IR-NEXT:    pipe.rank 0 {
// IR-NEXT:      pipe.forward stage 0 mb 0
