// The simulator's clients: a window of records in flight, sent to the node believed to
// lead, resent on timeout or redirect until acknowledged.
#include <algorithm>
#include <cinttypes>

#include "raft/sim_world.h"

namespace dlog::raft::sim {
namespace {

constexpr int64_t kClientTickMs = 20;
constexpr int64_t kClientTimeoutMs = 200;  // doubled per attempt, up to 8 times

}  // namespace

void World::OnClientTick(size_t c) {
  SimClient& client = clients_[c];
  if (!healed_) {
    while (client.outstanding.size() < size_t(options_.client_window)) {
      client.outstanding[client.next_seq++] = SimClient::Request{now_, 0};
    }
  } else if (!client.last_sent) {
    client.outstanding[client.next_seq++] = SimClient::Request{now_, 0};
    client.last_sent = true;
  }
  for (auto& [seq, request] : client.outstanding) {
    if (request.resend_at > now_) continue;
    SendRequest(c, seq);
    request.resend_at = now_ + (kClientTimeoutMs << std::min(request.attempts++, 3));
  }
  Event tick = At(now_ + kClientTickMs, EventKind::kClientTick);
  tick.client = c;
  Schedule(std::move(tick));
}

// To the node believed to lead, or any node; during chaos, sometimes a second copy to
// any node too (an impatient client), so that short-lived leaders take proposals.
void World::SendRequest(size_t c, uint64_t seq) {
  SimClient& client = clients_[c];
  auto any = [&] { return size_t(rng_.Between(0, int64_t(nodes_.size()) - 1)); };
  size_t target = client.leader_guess != kNoNode ? size_t(client.leader_guess - 1) : any();
  RequestTo(c, seq, target);
  if (!healed_ && rng_.Chance(options_.spray)) RequestTo(c, seq, any());
}

void World::RequestTo(size_t c, uint64_t seq, size_t target) {
  if (rng_.Chance(loss_)) return;
  Event e = At(now_ + Delay(), EventKind::kClientRequest);
  e.node = target;
  e.client = c;
  e.seq = seq;
  Schedule(std::move(e));
}

void World::OnClientAck(size_t c, uint64_t seq) {
  SimClient& client = clients_[c];
  if (client.outstanding.erase(seq) == 0) return;  // a duplicate answer
  checker_.OnAck(now_, {client.id, seq});
  Trace("client %" PRIu64 " acked record %" PRIu64, client.id, seq);
}

void World::OnClientRedirect(size_t c, uint64_t seq, NodeId hint) {
  SimClient& client = clients_[c];
  client.leader_guess = hint;
  auto it = client.outstanding.find(seq);
  if (it != client.outstanding.end()) it->second.resend_at = now_;  // at the next tick
}

}  // namespace dlog::raft::sim
