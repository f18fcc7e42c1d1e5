//===- ScheduleCommInOrder.cpp - The in-order (NCCL) comm policy ----------===//
//
// Under NCCL a pair's receives must be posted in the order of its sends, and
// a receive posted early holds up its rank's whole communication stream. So
// this policy posts each message exactly when it can travel: every compute
// step gets the round of a unit-time execution of the compute order, and a
// message is posted on both of its ranks in the round of its producer, in
// the post group that follows that rank's step of the round. Why that never
// hangs: a round-t group waits only for the partner groups of round t, and
// those only for the steps of rounds <= t and the groups of earlier rounds;
// rounds are finite, so by induction every group starts and completes.
// Within a group receives come first, so blocking sends meet posted
// receives under rendezvous semantics too.
//
//===----------------------------------------------------------------------===//

#include "ScheduleCommParts.h"

#include "dualpipe/Schedule/Dependencies.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <unordered_map>

namespace dualpipe::detail {

namespace {

/// A message found on both ranks: the sender's pooled send and the
/// receiver's pooled recv.
struct Message {
  int64_t sender = -1;
  size_t send = 0;
  int64_t receiver = -1;
  size_t recv = 0;
};

struct KeyPeer {
  MsgKey key;
  int64_t peer;
  friend bool operator==(const KeyPeer &a, const KeyPeer &b) {
    return a.key == b.key && a.peer == b.peer;
  }
};
struct KeyPeerHash {
  size_t operator()(const KeyPeer &value) const {
    return MsgKeyHash{}(value.key) * 31 + std::hash<int64_t>{}(value.peer);
  }
};

Finding failure(int64_t rank, const Instr &at, const std::string &message) {
  return findingAt(rank, at, "in-order policy: " + message);
}

/// Pairs every recv with the send of its key to its rank: the policy must
/// know both ends to post them in one round.
bool matchMessages(const std::vector<RankParts> &ranks,
                   std::vector<Message> &messages, Finding &error) {
  int64_t count = static_cast<int64_t>(ranks.size());
  std::vector<std::unordered_map<KeyPeer, std::vector<size_t>, KeyPeerHash>>
      sendsOf(count);
  for (int64_t rank = 0; rank < count; ++rank)
    for (size_t i = ranks[rank].sends.size(); i-- > 0;) {
      const Instr &send = ranks[rank].sends[i].send;
      sendsOf[rank][KeyPeer{send.key, send.peer}].push_back(i);
    }
  for (int64_t rank = 0; rank < count; ++rank)
    for (size_t i = 0; i < ranks[rank].recvs.size(); ++i) {
      const Instr &recv = ranks[rank].recvs[i].recv;
      if (recv.peer < 0 || recv.peer >= count || recv.peer == rank) {
        error = failure(rank, recv, describeMessage(recv) + ": no such peer");
        return false;
      }
      auto it = sendsOf[recv.peer].find(KeyPeer{recv.key, rank});
      if (it == sendsOf[recv.peer].end() || it->second.empty()) {
        error =
            failure(rank, recv,
                    describeMessage(recv) + " has no matching send on rank " +
                        std::to_string(recv.peer));
        return false;
      }
      // Stored in reverse: the back is the first unmatched send.
      messages.push_back(Message{recv.peer, it->second.back(), rank, i});
      it->second.pop_back();
    }
  for (int64_t rank = 0; rank < count; ++rank)
    for (const auto &[key, left] : sendsOf[rank])
      if (!left.empty()) {
        const Instr &send = ranks[rank].sends[left.back()].send;
        error =
            failure(rank, send,
                    describeMessage(send) + " has no matching recv on rank " +
                        std::to_string(send.peer));
        return false;
      }
  return true;
}

/// The round of every compute step (rounds[rank][step]): one after the
/// latest of its rank's previous step and its inputs' producers. Kahn's
/// algorithm over the steps; false if some step waits in a cycle.
bool computeRounds(const std::vector<RankParts> &ranks,
                   const std::vector<Message> &messages,
                   std::vector<std::vector<int64_t>> &rounds, Finding &error) {
  int64_t count = static_cast<int64_t>(ranks.size());
  std::vector<size_t> offset(count + 1, 0);
  for (int64_t rank = 0; rank < count; ++rank)
    offset[rank + 1] = offset[rank] + ranks[rank].steps.size();
  size_t nodes = offset[count];
  auto node = [&](int64_t rank, int64_t step) {
    return offset[rank] + static_cast<size_t>(step);
  };
  std::vector<int64_t> round(nodes, 0), waiting(nodes, 0);
  // Messages by producer node, as a compressed adjacency list.
  std::vector<size_t> first(nodes + 1, 0), consumerOf(messages.size());
  for (const Message &m : messages) {
    ++first[node(m.sender, ranks[m.sender].sends[m.send].producer) + 1];
    ++waiting[node(m.receiver, ranks[m.receiver].recvs[m.recv].consumer)];
  }
  for (size_t n = 0; n < nodes; ++n)
    first[n + 1] += first[n];
  std::vector<size_t> fill(first.begin(), first.end() - 1);
  for (const Message &m : messages)
    consumerOf[fill[node(m.sender, ranks[m.sender].sends[m.send].producer)]++] =
        node(m.receiver, ranks[m.receiver].recvs[m.recv].consumer);

  std::vector<size_t> ready;
  for (int64_t rank = 0; rank < count; ++rank) {
    for (size_t step = 1; step < ranks[rank].steps.size(); ++step)
      ++waiting[node(rank, static_cast<int64_t>(step))];
    if (!ranks[rank].steps.empty() && waiting[node(rank, 0)] == 0)
      ready.push_back(node(rank, 0));
  }
  std::vector<int64_t> rankOf(nodes);
  for (int64_t rank = 0; rank < count; ++rank)
    std::fill(rankOf.begin() + offset[rank], rankOf.begin() + offset[rank + 1],
              rank);
  size_t done = 0;
  auto release = [&](size_t next, int64_t after) {
    round[next] = std::max(round[next], after + 1);
    if (--waiting[next] == 0)
      ready.push_back(next);
  };
  while (!ready.empty()) {
    size_t n = ready.back();
    ready.pop_back();
    ++done;
    if (n + 1 < offset[rankOf[n] + 1])
      release(n + 1, round[n]);
    for (size_t k = first[n]; k < first[n + 1]; ++k)
      release(consumerOf[k], round[n]);
  }
  if (done != nodes) {
    size_t stuck = 0;
    while (stuck + 1 < nodes && waiting[stuck] == 0)
      ++stuck;
    int64_t rank = rankOf[stuck];
    size_t step = stuck - offset[rank];
    error = failure(rank, ranks[rank].steps[step],
                    "step " + std::to_string(step) +
                        " can never run: the compute order is not executable");
    return false;
  }
  rounds.resize(count);
  for (int64_t rank = 0; rank < count; ++rank)
    rounds[rank].assign(round.begin() + offset[rank],
                        round.begin() + offset[rank + 1]);
  return true;
}

/// One post of a rank: its recv or its send of message `index`, posted in
/// the group of `round`.
struct Post {
  int64_t round = 0;
  bool send = false;
  MsgKey key;
  int64_t peer = -1;
  size_t index = 0; // into the rank's pooled recvs or sends
  friend bool operator<(const Post &a, const Post &b) {
    if (a.round != b.round)
      return a.round < b.round;
    if (a.send != b.send)
      return b.send;
    if (a.key != b.key)
      return a.key < b.key;
    return a.peer < b.peer;
  }
};

std::vector<Instr> placeRank(RankParts &parts,
                             const std::vector<int64_t> &rounds,
                             std::vector<Post> posts) {
  std::sort(posts.begin(), posts.end());
  std::vector<std::vector<size_t>> consumedAt(parts.steps.size());
  for (size_t i = 0; i < parts.recvs.size(); ++i)
    consumedAt[parts.recvs[i].consumer].push_back(i);
  std::vector<Instr> out;
  size_t next = 0;
  auto postUpTo = [&](int64_t round) {
    for (; next < posts.size() && posts[next].round < round; ++next) {
      const Post &post = posts[next];
      out.push_back(post.send ? blockingSend(parts.sends[post.index].send)
                              : parts.recvs[post.index].recv);
    }
  };
  for (size_t step = 0; step < parts.steps.size(); ++step) {
    postUpTo(rounds[step]);
    Instr &shell = parts.steps[step];
    std::vector<Instr> waits;
    for (size_t i : consumedAt[step])
      waits.push_back(parts.recvs[i].wait);
    if (shell.kind == InstrKind::Overlap) {
      waits.insert(waits.end(), shell.body.begin(), shell.body.end());
      shell.body = std::move(waits);
    } else {
      out.insert(out.end(), waits.begin(), waits.end());
    }
    out.push_back(std::move(shell));
  }
  postUpTo(std::numeric_limits<int64_t>::max());
  return out;
}

} // namespace

std::optional<std::vector<std::vector<Instr>>>
placeInOrder(std::vector<RankParts> &ranks, Finding &error) {
  std::vector<Message> messages;
  std::vector<std::vector<int64_t>> rounds;
  if (!matchMessages(ranks, messages, error) ||
      !computeRounds(ranks, messages, rounds, error))
    return std::nullopt;
  std::vector<std::vector<Post>> posts(ranks.size());
  for (const Message &m : messages) {
    const Instr &send = ranks[m.sender].sends[m.send].send;
    int64_t round = rounds[m.sender][ranks[m.sender].sends[m.send].producer];
    posts[m.sender].push_back(Post{round, true, send.key, m.receiver, m.send});
    posts[m.receiver].push_back(Post{round, false, send.key, m.sender, m.recv});
  }
  std::vector<std::vector<Instr>> placed;
  placed.reserve(ranks.size());
  for (size_t rank = 0; rank < ranks.size(); ++rank)
    placed.push_back(
        placeRank(ranks[rank], rounds[rank], std::move(posts[rank])));
  return placed;
}

} // namespace dualpipe::detail
