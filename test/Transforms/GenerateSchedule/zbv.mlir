// The complete zbv order for 2 ranks x 4 micro-batches, one CSV row per rank.
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=zbv ranks=2 microbatches=4" | dualpipe-translate --pipe-to-torch-csv | FileCheck %s
// RUN: dualpipe-opt %s --pipe-generate-schedule="kind=zbv ranks=2 microbatches=4" | FileCheck %s --check-prefix=IR

// CHECK:      0F0,0F1,0F2,3F0,3I0,3W0,3F1,3I1,3W1,0F3,0I0,0W0,3F2,3I2,3W2,0I1,0W1,3F3,3I3,3W3,0I2,0W2,0I3,0W3
// CHECK-NEXT: 1F0,2F0,1F1,2F1,2I0,2W0,1F2,1I0,1W0,2F2,2I1,2W1,1F3,1I1,1W1,2F3,2I2,2W2,1I2,2I3,1I3,1W2,2W3,1W3
// CHECK-NOT: {{.}}

// IR-LABEL: pipe.schedule @main kind(zbv) placement(v) ranks(2) stages(4) microbatches(4) {
// IR-NEXT:    pipe.rank 0 {
// IR-NEXT:      pipe.forward stage 0 mb 0
