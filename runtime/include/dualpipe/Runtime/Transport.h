//===- Transport.h - Point-to-point messages between ranks ------*- C++ -*-===//
//
// The executor only needs tagged, asynchronous point-to-point messages with
// the completion semantics of Schedule.h (a send completes once the matching
// receive is posted; a receive once the matching send is issued; same-tag
// messages between a pair match in order), a small gather for reports, and a
// way to stop every rank. Two implementations: in-process mailboxes for ranks
// that are threads, and c10d's ProcessGroupGloo for ranks that are processes.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_TRANSPORT_H
#define DUALPIPE_RUNTIME_TRANSPORT_H

#include "dualpipe/Schedule/Schedule.h"

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dualpipe::runtime {

/// A transport failure. `aborted` marks a failure that only echoes another
/// rank's (the transport was aborted), so reports can name the root cause.
class CommError : public std::runtime_error {
public:
  CommError(const std::string &what, bool aborted = false)
      : std::runtime_error(what), aborted_(aborted) {}
  bool aborted() const { return aborted_; }

private:
  bool aborted_;
};

/// A posted send or receive.
class CommHandle {
public:
  virtual ~CommHandle() = default;
  /// Blocks until the operation completes; a receive returns its tensor.
  /// Throws CommError on timeout, abort or a transport failure.
  virtual torch::Tensor wait(std::chrono::milliseconds timeout) = 0;
};

/// One rank's endpoint.
class Transport {
public:
  virtual ~Transport() = default;
  virtual int64_t rank() const = 0;
  virtual int64_t size() const = 0;
  /// Posts a send; the transport keeps `tensor` alive until it completes and
  /// the caller must not modify it.
  virtual std::unique_ptr<CommHandle> send(int64_t dst, int64_t tag,
                                           const torch::Tensor &tensor) = 0;
  /// Posts a receive of a tensor of the given shape and type.
  virtual std::unique_ptr<CommHandle> recv(int64_t src, int64_t tag,
                                           std::vector<int64_t> shape,
                                           torch::ScalarType dtype) = 0;
  /// Every rank calls it with the same `key`; rank 0 returns all ranks'
  /// bytes (index = rank), the others an empty vector without blocking.
  virtual std::vector<std::string>
  gather(const std::string &key, const std::string &bytes,
         std::chrono::milliseconds timeout) = 0;
  /// Makes pending and later operations of every rank that this transport
  /// can reach fail with a CommError(aborted) carrying `reason`.
  virtual void abort(const std::string &reason) = 0;

  /// Bracket the sends and receives that the program posts together (a
  /// post group, CommGroups.h); `what` names them for errors. Only NCCL
  /// issues a group at once; the other transports match by tag anyway.
  virtual void beginGroup() {}
  virtual void endGroup(const std::string &what) { (void)what; }
  /// Throws the CommError that the transport found on its own since the
  /// last call (NCCL's watchdog: an asynchronous error, a group past the
  /// timeout, another rank's abort); nothing elsewhere.
  virtual void checkAsync() {}
};

/// How the threads transport hands a device tensor from one rank's stream
/// to another's (CudaHandoff.cpp): the message is the same tensor plus an
/// event recorded on the sender's current stream (its comm stream, which is
/// past the producer's event); the receiver's current stream waits on it,
/// and the caching allocator learns that the receiver's stream uses it.
class TensorHandoff {
public:
  virtual ~TensorHandoff() = default;
  /// On the sender's thread.
  virtual std::shared_ptr<void> mark(const torch::Tensor &tensor) = 0;
  /// On the receiver's thread; returns the tensor on `device` (a copy only
  /// when the sender computes on another GPU).
  virtual torch::Tensor await(const std::shared_ptr<void> &mark,
                              const torch::Tensor &tensor,
                              torch::Device device) = 0;
};

/// The CUDA hand-off (CUDA builds only).
std::shared_ptr<TensorHandoff> makeCudaHandoff();

/// The in-process transport: mailboxes keyed by (src, dst, tag), tag being
/// the message key's wire tag. Tensors are handed over without a copy; with
/// a `handoff`, device tensors carry its marks.
class ThreadsHub {
public:
  explicit ThreadsHub(int64_t ranks,
                      std::shared_ptr<TensorHandoff> handoff = nullptr);
  ~ThreadsHub();
  /// Rank `rank`'s endpoint; `device` is where it computes.
  std::unique_ptr<Transport> endpoint(int64_t rank,
                                      torch::Device device = torch::kCPU);
  void abort(const std::string &reason);

  struct State;

private:
  std::shared_ptr<State> state_;
};

/// torchrun-style rendezvous settings for the Gloo transport.
struct GlooOptions {
  int64_t rank = 0;
  int64_t worldSize = 0;
  /// LOCAL_RANK (default RANK): this rank's GPU with --device cuda.
  int64_t localRank = 0;
  std::string masterAddr = "127.0.0.1";
  int masterPort = 29500;
  std::chrono::milliseconds timeout{60000};
};

/// Reads RANK, WORLD_SIZE, LOCAL_RANK (optional), MASTER_ADDR and
/// MASTER_PORT; the error names the missing or bad variable.
std::optional<GlooOptions> glooOptionsFromEnv(std::string &error);

/// Empty when the world of `options` has exactly `ranks` ranks, else the
/// mismatch, e.g. "WORLD_SIZE is 3 but the program has 4 ranks".
std::string checkWorldSize(const GlooOptions &options, int64_t ranks);

/// Connects to the other ranks through a TCPStore at MASTER_ADDR:MASTER_PORT
/// (rank 0 hosts it) and a ProcessGroupGloo on the interface
/// torch.distributed would pick (GLOO_SOCKET_IFNAME, loopback for a local
/// master, else the host name's address).
/// Tensors on a CUDA `device` travel through host memory (Gloo's send and
/// receive take CPU tensors), copied on the comm stream.
/// Throws CommError when the rendezvous fails or times out.
std::unique_ptr<Transport> connectGloo(const GlooOptions &options,
                                       torch::Device device = torch::kCPU);

/// The NCCL transport (NcclTransport.cpp, CUDA builds only): one
/// communicator over all ranks, bootstrapped through the same TCPStore
/// rendezvous as Gloo, on cuda:`device`. Messages are ncclSend/ncclRecv on
/// the calling worker's current stream (the rank's comm stream), issued per
/// post group; a watchdog thread turns an asynchronous NCCL error, a group
/// that does not complete within the timeout, or another rank's abort into
/// ncclCommAbort and a CommError (checkAsync). Throws CommError when the
/// rendezvous fails.
std::unique_ptr<Transport> connectNccl(const GlooOptions &options,
                                       torch::Device device);

/// Empty when `program` is deadlock-free under NCCL's semantics (in-order
/// matching per pair, stream-blocking post groups: verifyProgram with
/// MessageMatching::InOrder), else the verifier's finding, naming the pair
/// and the messages, and how to compile a program that passes.
std::string inOrderError(const Program &program);

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_TRANSPORT_H
