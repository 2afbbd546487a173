// The replica simulator's final check: what every replica's partition holds once the
// cluster has healed and caught up (sim.h lists the properties).
#include <map>

#include "replica/sim_world.h"

namespace dlog::replica::sim {
namespace {

struct Tag {
  uint64_t producer = 0;
  uint64_t seq = 0;
  uint32_t k = 0;
  uint32_t n = 0;
};

bool ParseTag(const log::Record& r, Tag* t) {
  if (r.value.size() != 24) return false;
  *t = {LoadLE64(r.value.data()), LoadLE64(r.value.data() + 8), LoadLE32(r.value.data() + 16),
        LoadLE32(r.value.data() + 20)};
  return t->n >= 1 && t->k < t->n;
}

Result<std::vector<log::Record>> ReadAll(ReplicatedPartition& rp) {
  std::vector<log::Record> all;
  log::ReadOptions o;
  o.max_records = 4096;
  o.max_bytes = 1 << 20;
  while (all.size() < rp.end_offset()) {
    Result<std::vector<log::Record>> part = rp.Read(all.size(), o, ReadFrom::kLocalCommitted);
    if (!part.ok()) return part.status();
    if (part->empty()) return Status::Error("read returned nothing before the end offset");
    for (log::Record& r : *part) all.push_back(std::move(r));
  }
  return all;
}

}  // namespace

void World::CheckPrefix(size_t n) {
  Node& node = nodes_[n];
  log::ReadOptions o;
  o.max_records = 4096;
  o.max_bytes = 1 << 20;
  for (int reads = 0; reads < 1024 && node.checked_end < node.replica->end_offset(); ++reads) {
    Result<std::vector<log::Record>> part =
        node.replica->Read(node.checked_end, o, ReadFrom::kLocalCommitted);
    if (!part.ok() || part->empty()) {
      return Fail("node " + std::to_string(node.id) + ": cannot read its committed records");
    }
    for (log::Record& r : *part) {
      if (r.offset < history_.size()) {
        if (!(history_[r.offset] == r)) {
          return Fail("node " + std::to_string(node.id) + " applied a different record at offset " +
                      std::to_string(r.offset) + " than another replica did");
        }
      } else {
        history_.push_back(std::move(r));
      }
      ++node.checked_end;
    }
  }
}

void World::CheckFinal() {
  std::vector<std::vector<log::Record>> logs;
  for (Node& node : nodes_) {
    Result<std::vector<log::Record>> all = ReadAll(*node.replica);
    if (!all.ok()) return Fail("node " + std::to_string(node.id) + ": read: " + all.error());
    logs.push_back(std::move(*all));
  }
  const std::vector<log::Record>& log0 = logs[0];
  for (size_t n = 1; n < logs.size(); ++n) {
    if (logs[n].size() != log0.size()) {
      return Fail("node " + std::to_string(n + 1) + " holds " + std::to_string(logs[n].size()) +
                  " records, node 1 " + std::to_string(log0.size()));
    }
    for (size_t i = 0; i < log0.size(); ++i) {
      if (!(logs[n][i] == log0[i])) {
        return Fail("nodes 1 and " + std::to_string(n + 1) + " disagree at offset " +
                    std::to_string(i));
      }
    }
  }
  // One replica's log (all are equal): batches whole, once each, in sequence order.
  std::map<std::pair<uint64_t, uint64_t>, log::Offset> base_of;  // (producer, seq)
  std::map<uint64_t, uint64_t> last_seq;                         // producer → seq + 1
  for (size_t i = 0; i < log0.size();) {
    Tag t;
    if (log0[i].offset != i || !ParseTag(log0[i], &t) || t.k != 0) {
      return Fail("offset " + std::to_string(i) + ": not the start of a batch");
    }
    for (uint32_t k = 1; k < t.n; ++k) {
      Tag u;
      if (i + k >= log0.size() || !ParseTag(log0[i + k], &u) || u.producer != t.producer ||
          u.seq != t.seq || u.k != k || u.n != t.n) {
        return Fail("batch at offset " + std::to_string(i) + " is not contiguous");
      }
    }
    std::string what = "producer " + std::to_string(t.producer) + " batch " + std::to_string(t.seq);
    if (!base_of.emplace(std::pair{t.producer, t.seq}, i).second) {
      return Fail(what + " appears twice (offsets " + std::to_string(base_of[{t.producer, t.seq}]) +
                  " and " + std::to_string(i) + ")");
    }
    if (last_seq[t.producer] > t.seq) return Fail(what + " committed after a later batch");
    last_seq[t.producer] = t.seq + 1;
    i += t.n;
  }
  for (const auto& [id, ack] : acked_) {
    std::string what =
        "producer " + std::to_string(id.first) + " batch " + std::to_string(id.second);
    auto it = base_of.find(id);
    if (it == base_of.end()) return Fail("acknowledged " + what + " is missing");
    if (ack.base &&
        (*ack.base != it->second || !ack.last || *ack.last != it->second + ack.records - 1)) {
      return Fail("acknowledged " + what + " at offset " + std::to_string(*ack.base) +
                  " but stored at " + std::to_string(it->second));
    }
  }
  result_.records = log0.size();
}

}  // namespace dlog::replica::sim
