//===- StoreGather.h - Small report gathers through a c10d store -*- C++
//-*-===//
//
// The process transports (Gloo, NCCL) gather the per-step reports through
// the rendezvous TCPStore rather than their data path: the reports are
// small, and a gather then needs no buffer shapes agreed in advance.
//
//===----------------------------------------------------------------------===//
#ifndef DUALPIPE_RUNTIME_TRANSPORTS_STOREGATHER_H
#define DUALPIPE_RUNTIME_TRANSPORTS_STOREGATHER_H

#include "ErrorText.h"
#include "TorchCompat.h"
#include "dualpipe/Runtime/Transport.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace dualpipe::runtime {

/// c10d reads a zero timeout as "wait forever".
inline std::chrono::milliseconds
atLeastOneMs(std::chrono::milliseconds timeout) {
  return std::max(timeout, std::chrono::milliseconds(1));
}

/// The torchrun-style rendezvous store at MASTER_ADDR:MASTER_PORT: rank 0
/// hosts it unless `client`, every other connection joins it.
inline c10::intrusive_ptr<c10d::Store> connectStore(const GlooOptions &options,
                                                    bool client = false) {
  c10d::TCPStoreOptions storeOptions = compat::tcpStoreOptions(
      static_cast<uint16_t>(options.masterPort), !client && options.rank == 0,
      options.worldSize, atLeastOneMs(options.timeout));
  if (client)
    storeOptions.waitWorkers = false;
  return c10::make_intrusive<c10d::TCPStore>(options.masterAddr, storeOptions);
}

/// Transport::gather through `store`: every rank sets its slot, rank 0 reads
/// and deletes them all. Throws what the store throws.
inline std::vector<std::string> storeGather(c10d::Store &store,
                                            const std::string &key,
                                            const std::string &bytes,
                                            int64_t rank, int64_t worldSize,
                                            std::chrono::milliseconds timeout) {
  auto slot = [&](int64_t r) {
    return "gather/" + key + "/" + std::to_string(r);
  };
  store.setTimeout(atLeastOneMs(timeout));
  store.set(slot(rank), std::vector<uint8_t>(bytes.begin(), bytes.end()));
  std::vector<std::string> result;
  if (rank != 0)
    return result;
  for (int64_t r = 0; r < worldSize; ++r) {
    // A lost host shows here as the store's timeout on its key; name it.
    std::vector<uint8_t> value;
    try {
      value = store.get(slot(r));
    } catch (const std::exception &e) {
      throw CommError("gather '" + key + "': no record from rank " +
                      std::to_string(r) + ": " + causeOf(e));
    }
    result.emplace_back(value.begin(), value.end());
    store.deleteKey(slot(r));
  }
  return result;
}

} // namespace dualpipe::runtime

#endif // DUALPIPE_RUNTIME_TRANSPORTS_STOREGATHER_H
