//===- CommGroups.h - Post groups under in-order channel semantics -*- C++
//-*-===//
//
// NCCL has no tags: the k-th send from rank a to rank b on a communicator
// meets the k-th receive that b posts from a, and the operations queued on
// one stream run in order. A level-3 program runs on such a transport as
// follows (the runtime's NCCL path and the in-order verifier both use this
// one statement of it):
//  * a rank's Send and Recv instructions, in flattened program order (overlap
//    bodies inlined, as flattenRank does), are posted on its communication
//    stream;
//  * a maximal run of consecutive message instructions is one post group
//    (ncclGroupStart/ncclGroupEnd): its operations progress together, so
//    traffic with one peer inside a group never blocks another peer's, and the
//    group completes when every operation in it has met its partner;
//  * the next group on the stream starts only after the previous one is
//    complete;
//  * a group holding a Send starts only once the computation that produces
//    the sent value has run (the stream waits on that computation's event);
//  * a Wait makes the rank's compute stream wait until the group holding the
//    message of its token is complete (an event recorded after the group):
//    NCCL reports when a group is done, not when one operation in it is.
// Everything else on the compute stream runs in program order. Under these
// rules a program is correct when findOrderMismatches and
// findInOrderDeadlock (Verify.h) find nothing, which verifyProgram checks
// with VerifyOptions::matching = InOrder; the in-order comm policy
// (Lower.h) makes programs that pass.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_SCHEDULE_COMMGROUPS_H
#define DUALPIPE_SCHEDULE_COMMGROUPS_H

#include "dualpipe/Schedule/Verify.h"

#include <cstdint>
#include <vector>

namespace dualpipe {

/// A post group: the flat indices [begin, end) of one rank, all of them Send
/// or Recv instructions.
struct CommGroup {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

/// The post groups of one flattened rank program, in program order.
std::vector<CommGroup> commGroups(const std::vector<FlatInstr> &flat);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_COMMGROUPS_H
