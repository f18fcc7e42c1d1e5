//===- Spawn.cpp - Local launcher for one process per rank ----------------===//

#include "dualpipe/Runtime/Spawn.h"

#include <arpa/inet.h>
#include <csignal>
#include <map>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace dualpipe::runtime {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void execRank(const std::vector<std::string> &argv, int64_t rank,
                           int64_t ranks, int port) {
  std::string r = std::to_string(rank);
  setenv("RANK", r.c_str(), 1);
  setenv("LOCAL_RANK", r.c_str(), 1);
  setenv("WORLD_SIZE", std::to_string(ranks).c_str(), 1);
  setenv("LOCAL_WORLD_SIZE", std::to_string(ranks).c_str(), 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  std::vector<char *> args;
  for (const std::string &arg : argv)
    args.push_back(const_cast<char *>(arg.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  // Only reached if exec failed; the parent reports the exit status.
  _exit(127);
}

/// Exit status in the shell's convention.
int statusCode(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 1;
}

std::string statusText(int status) {
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "exited with status " + std::to_string(statusCode(status));
}

} // namespace

int freeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

int spawnRanks(const std::vector<std::string> &argv, int64_t ranks,
               std::chrono::milliseconds grace, std::ostream &err) {
  int port = freeLoopbackPort();
  if (port == 0) {
    err << "dualpipe-run: error: no free port on 127.0.0.1\n";
    return 1;
  }
  std::map<pid_t, int64_t> running;
  for (int64_t rank = 0; rank < ranks; ++rank) {
    pid_t pid = fork();
    if (pid == 0)
      execRank(argv, rank, ranks, port);
    if (pid < 0) {
      err << "dualpipe-run: error: cannot start rank " << rank << "\n";
      for (auto &[child, r] : running)
        kill(child, SIGKILL);
      break;
    }
    running[pid] = rank;
  }
  int result = running.size() == static_cast<size_t>(ranks) ? 0 : 1;
  // Set once a rank failed: the others must stop by then.
  bool failing = false;
  Clock::time_point deadline;
  while (!running.empty()) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0 && running.count(pid)) {
      int64_t rank = running[pid];
      running.erase(pid);
      if (statusCode(status) == 0)
        continue;
      err << "dualpipe-run: rank " << rank << " (pid " << pid << ") "
          << statusText(status) << "\n";
      if (result == 0)
        result = statusCode(status);
      if (!failing)
        deadline = Clock::now() + grace;
      failing = true;
      continue;
    }
    if (failing && Clock::now() > deadline) {
      for (auto &[child, rank] : running) {
        err << "dualpipe-run: rank " << rank << " (pid " << child
            << ") did not stop after the failure; killing it\n";
        kill(child, SIGKILL);
      }
      deadline = Clock::time_point::max();
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return result;
}

} // namespace dualpipe::runtime
