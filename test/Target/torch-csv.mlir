// RUN: dualpipe-opt %s --pipe-insert-comm --pipe-fuse-overlap | dualpipe-translate --pipe-to-torch-csv | FileCheck %s --check-prefix=COMPUTE
// RUN: dualpipe-opt %s --pipe-insert-comm --pipe-fuse-overlap | dualpipe-translate --pipe-to-torch-csv=compute | FileCheck %s --check-prefix=COMPUTE
// RUN: dualpipe-opt %s --pipe-insert-comm --pipe-fuse-overlap | dualpipe-translate --pipe-to-torch-csv=comms | FileCheck %s --check-prefix=COMMS
// RUN: dualpipe-translate --pipe-to-torch-csv %s | dualpipe-translate --torch-csv-to-pipe | dualpipe-translate --pipe-to-torch-csv | FileCheck %s --check-prefix=COMPUTE
// RUN: not dualpipe-translate --pipe-to-torch-csv=both %s 2>&1 | FileCheck %s --check-prefix=BADMODE
// RUN: not dualpipe-translate --pipe-to-torch-csv=comms %s 2>&1 | FileCheck %s --check-prefix=LEVEL2
// RUN: not dualpipe-translate %s 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not dualpipe-translate --pipe-to-torch-csv --pipe-to-svg %s 2>&1 | FileCheck %s --check-prefix=TWO

// DualPipeV on 2 ranks x 4 micro-batches: compute actions only, overlapped
// pairs in PyTorch's OVERLAP_F_B form.
// COMPUTE:      0F0,0F1,0F2,3F0,3I0,3W0,3F1,(0F3;3B1)OVERLAP_F_B,(3F2;0B0)OVERLAP_F_B,3B2,(3F3;0B1)OVERLAP_F_B,3B3,0I2,0W2,0I3,0W3
// COMPUTE-NEXT: 1F0,2F0,1F1,2F1,1F2,2B0,(2F2;1B0)OVERLAP_F_B,(1F3;2B1)OVERLAP_F_B,(2F3;1B1)OVERLAP_F_B,2B2,1B2,2I3,1I3,2W3,1W3
// COMPUTE-NOT:  {{.}}

// compute_comms: a send names the sending stage, a receive the receiving
// stage, as in PyTorch; waits have no action of their own; the V fold on
// rank 1 (stage 1 -> 2) has no message.
// COMMS:      0F0,0SEND_F0,0F1,0SEND_F1,0F2,0SEND_F2,3RECV_F0,3F0,3I0,3SEND_B0,3W0,3RECV_F1,3F1,(0F3;3B1)OVERLAP_F_B,0SEND_F3,3SEND_B1,3RECV_F2,0RECV_B0,(3F2;0B0)OVERLAP_F_B,3B2,3SEND_B2,3RECV_F3,0RECV_B1,(3F3;0B1)OVERLAP_F_B,3B3,3SEND_B3,0RECV_B2,0I2,0W2,0RECV_B3,0I3,0W3
// COMMS-NEXT: 1RECV_F0,1F0,2F0,2SEND_F0,1RECV_F1,1F1,2F1,2SEND_F1,1RECV_F2,1F2,2RECV_B0,2B0,(2F2;1B0)OVERLAP_F_B,2SEND_F2,1SEND_B0,1RECV_F3,2RECV_B1,(1F3;2B1)OVERLAP_F_B,(2F3;1B1)OVERLAP_F_B,2SEND_F3,1SEND_B1,2RECV_B2,2B2,1B2,1SEND_B2,2RECV_B3,2I3,1I3,1SEND_B3,2W3,1W3

// BADMODE: --pipe-to-torch-csv takes compute or comms, got 'both'
// LEVEL2: error: 'pipe.schedule' op has no communication (level 2); the compute_comms export needs a lowered schedule: run dualpipe-opt --pipe-lower first
// NONE: no translation given
// TWO: give exactly one translation flag

pipe.schedule @main kind(dualpipev) placement(v) ranks(2) stages(4) microbatches(4) {
  pipe.rank 0 {
    pipe.forward stage 0 mb 0
    pipe.forward stage 0 mb 1
    pipe.forward stage 0 mb 2
    pipe.forward stage 3 mb 0
    pipe.backward_input stage 3 mb 0
    pipe.backward_weight stage 3 mb 0
    pipe.forward stage 3 mb 1
    pipe.overlap { pipe.forward stage 0 mb 3 pipe.backward stage 3 mb 1 }
    pipe.overlap { pipe.forward stage 3 mb 2 pipe.backward stage 0 mb 0 }
    pipe.backward stage 3 mb 2
    pipe.overlap { pipe.forward stage 3 mb 3 pipe.backward stage 0 mb 1 }
    pipe.backward stage 3 mb 3
    pipe.backward_input stage 0 mb 2
    pipe.backward_weight stage 0 mb 2
    pipe.backward_input stage 0 mb 3
    pipe.backward_weight stage 0 mb 3
  }
  pipe.rank 1 {
    pipe.forward stage 1 mb 0
    pipe.forward stage 2 mb 0
    pipe.forward stage 1 mb 1
    pipe.forward stage 2 mb 1
    pipe.forward stage 1 mb 2
    pipe.backward stage 2 mb 0
    pipe.overlap { pipe.forward stage 2 mb 2 pipe.backward stage 1 mb 0 }
    pipe.overlap { pipe.forward stage 1 mb 3 pipe.backward stage 2 mb 1 }
    pipe.overlap { pipe.forward stage 2 mb 3 pipe.backward stage 1 mb 1 }
    pipe.backward stage 2 mb 2
    pipe.backward stage 1 mb 2
    pipe.backward_input stage 2 mb 3
    pipe.backward_input stage 1 mb 3
    pipe.backward_weight stage 2 mb 3
    pipe.backward_weight stage 1 mb 3
  }
}
