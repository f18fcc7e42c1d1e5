// The complete zb-h1 order for 3 ranks x 4 micro-batches, one CSV row per rank.
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=zb-h1 ranks=3 microbatches=4" | dualpipe-translate --pipe-to-torch-csv | FileCheck %s
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=zb-h1 ranks=3 microbatches=4" | FileCheck %s --check-prefix=IR

// CHECK:      0F0,0F1,0F2,0I0,0W0,0F3,0I1,0W1,0I2,0W2,0I3,0W3
// CHECK-NEXT: 1F0,1F1,1I0,1F2,1I1,1W0,1F3,1I2,1W1,1I3,1W2,1W3
// CHECK-NEXT: 2F0,2I0,2F1,2I1,2F2,2I2,2W0,2F3,2I3,2W1,2W2,2W3
// CHECK-NOT: {{.}}

// IR-LABEL: pipe.schedule @main kind("zb-h1") placement(standard) ranks(3) stages(3) microbatches(4) {
// IR-NEXT:    pipe.rank 0 {
// IR-NEXT:      pipe.forward stage 0 mb 0
