//===- GlooTransport.cpp - Ranks as processes over c10d Gloo --------------===//
//
// Rendezvous follows torchrun: rank 0 hosts a TCPStore at MASTER_ADDR:
// MASTER_PORT, every rank joins it and ProcessGroupGloo builds its full mesh
// (on loopback for a local master, see glooDevice). Messages use Gloo's tagged
// send/recv with the message's wire tag; the store carries the small report
// gathers.
//
// A failing process is not aborted remotely: it exits, its sockets close and
// Gloo fails every peer operation that waits on it; anything else is bounded
// by the per-operation timeout.
//
//===----------------------------------------------------------------------===//

#include "ErrorText.h"
#include "TorchCompat.h"
#include "dualpipe/Runtime/Transport.h"
#include "transports/StoreGather.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <sstream>

namespace dualpipe::runtime {
namespace {

class GlooHandle : public CommHandle {
public:
  GlooHandle(c10::intrusive_ptr<c10d::Work> work, torch::Tensor tensor,
             bool isRecv, torch::Device device)
      : work_(std::move(work)), tensor_(std::move(tensor)), recv_(isRecv),
        device_(device) {}
  torch::Tensor wait(std::chrono::milliseconds timeout) override {
    try {
      work_->wait(atLeastOneMs(timeout));
    } catch (const std::exception &e) {
      throw CommError("gloo: " + firstLine(e.what()));
    }
    return recv_ ? std::move(tensor_).to(device_) : torch::Tensor();
  }

private:
  c10::intrusive_ptr<c10d::Work> work_;
  torch::Tensor tensor_;
  bool recv_;
  torch::Device device_;
};

/// The interface the mesh uses, as torch.distributed picks it:
/// GLOO_SOCKET_IFNAME when set, loopback when the master is local (one host,
/// no dependence on the host name resolving), else the address that the host
/// name resolves to.
std::shared_ptr<::gloo::transport::Device>
glooDevice(const GlooOptions &options) {
  if (const char *name = std::getenv("GLOO_SOCKET_IFNAME"); name && *name)
    return c10d::ProcessGroupGloo::createDeviceForInterface(name);
  const std::string &master = options.masterAddr;
  if (master == "127.0.0.1" || master == "localhost" || master == "::1")
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

class GlooTransport : public Transport {
public:
  GlooTransport(const GlooOptions &options, torch::Device device)
      : options_(options), device_(device) {
    store_ = connectStore(options);
    auto groupOptions =
        c10d::ProcessGroupGloo::Options::create(atLeastOneMs(options.timeout));
    groupOptions->devices.push_back(glooDevice(options));
    group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(
        store_, static_cast<int>(options.rank),
        static_cast<int>(options.worldSize), groupOptions);
  }

  int64_t rank() const override { return options_.rank; }
  int64_t size() const override { return options_.worldSize; }

  std::unique_ptr<CommHandle> send(int64_t dst, int64_t tag,
                                   const torch::Tensor &tensor) override {
    // On a device, the copy to the host runs on the comm stream after the
    // producer's event, and waits for it: Gloo reads host memory at once.
    std::vector<torch::Tensor> tensors{tensor.to(torch::kCPU).contiguous()};
    auto work = call([&] {
      return group_->send(tensors, static_cast<int>(dst),
                          static_cast<int>(tag));
    });
    return std::make_unique<GlooHandle>(std::move(work), tensors[0], false,
                                        device_);
  }

  std::unique_ptr<CommHandle> recv(int64_t src, int64_t tag,
                                   std::vector<int64_t> shape,
                                   torch::ScalarType dtype) override {
    std::vector<torch::Tensor> tensors{
        torch::empty(shape, torch::TensorOptions().dtype(dtype))};
    auto work = call([&] {
      return group_->recv(tensors, static_cast<int>(src),
                          static_cast<int>(tag));
    });
    return std::make_unique<GlooHandle>(std::move(work), tensors[0], true,
                                        device_);
  }

  std::vector<std::string> gather(const std::string &key,
                                  const std::string &bytes,
                                  std::chrono::milliseconds timeout) override {
    return call([&] {
      return storeGather(*store_, key, bytes, options_.rank, options_.worldSize,
                         timeout);
    });
  }

  void abort(const std::string &) override {}

private:
  template <typename Fn> auto call(Fn fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (const CommError &) {
      throw;
    } catch (const std::exception &e) {
      throw CommError("gloo: " + firstLine(e.what()));
    }
  }

  GlooOptions options_;
  torch::Device device_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

std::optional<int64_t> envInt(const char *name, int64_t min, int64_t max,
                              std::string &error) {
  const char *value = std::getenv(name);
  if (!value || !*value) {
    error = std::string(name) + " is not set (launch with torchrun or --spawn)";
    return std::nullopt;
  }
  char *end = nullptr;
  long long parsed = std::strtoll(value, &end, 10);
  if (*end != '\0' || parsed < min || parsed > max) {
    error = std::string(name) + "=" + value + " is not an integer in [" +
            std::to_string(min) + ", " + std::to_string(max) + "]";
    return std::nullopt;
  }
  return parsed;
}

} // namespace

std::string checkWorldSize(const GlooOptions &options, int64_t ranks) {
  if (options.worldSize == ranks)
    return "";
  return "WORLD_SIZE is " + std::to_string(options.worldSize) +
         " but the program has " + std::to_string(ranks) + " ranks";
}

std::optional<GlooOptions> glooOptionsFromEnv(std::string &error) {
  GlooOptions options;
  auto world = envInt("WORLD_SIZE", 1, 1 << 16, error);
  if (!world)
    return std::nullopt;
  auto rank = envInt("RANK", 0, *world - 1, error);
  if (!rank)
    return std::nullopt;
  auto port = envInt("MASTER_PORT", 1, 65535, error);
  if (!port)
    return std::nullopt;
  options.worldSize = *world;
  options.rank = *rank;
  options.localRank = *rank;
  if (const char *local = std::getenv("LOCAL_RANK"); local && *local) {
    auto parsed = envInt("LOCAL_RANK", 0, *world - 1, error);
    if (!parsed)
      return std::nullopt;
    options.localRank = *parsed;
  }
  options.masterPort = static_cast<int>(*port);
  if (const char *addr = std::getenv("MASTER_ADDR"); addr && *addr)
    options.masterAddr = addr;
  return options;
}

std::unique_ptr<Transport> connectGloo(const GlooOptions &options,
                                       torch::Device device) {
  try {
    return std::make_unique<GlooTransport>(options, device);
  } catch (const std::exception &e) {
    throw CommError("rendezvous at " + options.masterAddr + ":" +
                    std::to_string(options.masterPort) +
                    " failed: " + firstLine(e.what()));
  }
}

} // namespace dualpipe::runtime
