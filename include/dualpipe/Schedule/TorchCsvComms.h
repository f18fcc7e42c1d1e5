//===- TorchCsvComms.h - PyTorch compute_comms export -----------*- C++ -*-===//
#ifndef DUALPIPE_SCHEDULE_TORCHCSVCOMMS_H
#define DUALPIPE_SCHEDULE_TORCHCSVCOMMS_H

#include "dualpipe/Schedule/Schedule.h"

#include <string>

namespace dualpipe {

/// PyTorch's compute_comms form of a level-3 program: one row per rank with
/// compute actions plus `{stage}SEND_F{mb}`, `{stage}RECV_F{mb}`,
/// `{stage}SEND_B{mb}` and `{stage}RECV_B{mb}`. As in PyTorch, a send names
/// the sending stage and a receive the receiving stage (our keys name the
/// producer on both sides). Waits have no action of their own: PyTorch waits
/// for a receive at the compute that consumes it. An overlap region becomes
/// its receives, the `(F;B)OVERLAP_F_B` pair, then its sends.
std::string exportTorchCsvComms(const Program &program);

} // namespace dualpipe

#endif // DUALPIPE_SCHEDULE_TORCHCSVCOMMS_H
