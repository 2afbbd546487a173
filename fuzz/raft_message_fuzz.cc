// libFuzzer target: the Raft wire decoder and the core's handling of whatever it accepts.
//
// Input: the whole input is first decoded as one message (if it decodes, encoding it
// again must give the same bytes: the layout is canonical). Then it is read as a script
// of operations for node 1 of a 3-node cluster whose log already holds a few entries:
//   0x00            Tick
//   0x01            Propose a small record
//   0x02 u16 n ...  n bytes decoded as a message; if valid, delivered to node 1 from
//                   node 2 or 3 (the receiver and sender are fixed up)
// After each operation the Ready cycle runs against MemoryStorage (messages dropped).
//
// Invariants (a violation aborts): nothing crashes; applied <= commit <= last index;
// the term never decreases; a leader names itself as leader.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "raft/memory_storage.h"
#include "raft/message.h"
#include "raft/raft.h"
#include "raft/sim_rng.h"

using namespace dlog;
using namespace dlog::raft;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckRoundTrip(ByteSpan input) {
  Result<Message> m = DecodeMessage(input);
  if (!m.ok()) return;
  Bytes again = EncodeMessage(*m);
  Check(again.size() == input.size() && std::equal(again.begin(), again.end(), input.begin()));
}

struct Node {
  Node() : storage(*Membership::Make({1, 2, 3})), rng(7) {
    std::vector<Entry> log;
    for (Index i = 1; i <= 4; ++i) log.push_back(Entry{i < 3 ? 1u : 2u, i, EntryType::kNormal, {}});
    Check(storage.Append(log).ok());
    Check(storage.SetHardState(HardState{2, 2, 2}).ok());
    Check(storage.Sync().ok());
    Config c;
    c.id = 1;
    c.election_ticks = 3;
    raft = std::move(*Raft::Open(c, &storage, &rng));
  }

  void Drive() {
    Term term = raft->term();
    for (int i = 0; i < 4 && raft->HasReady(); ++i) {
      Ready r = raft->GetReady();
      Check(storage.Append(r.entries).ok());
      if (r.hard_state) Check(storage.SetHardState(*r.hard_state).ok());
      Check(storage.Sync().ok());
      raft->Advance(r);
    }
    Check(raft->term() >= term);
    Check(raft->applied_index() <= raft->commit_index());
    Check(raft->commit_index() <= raft->last_index());
    Check(raft->role() != Role::kLeader || raft->leader() == 1);
  }

  MemoryStorage storage;
  SimRng rng;
  std::unique_ptr<Raft> raft;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckRoundTrip(ByteSpan(data, size));
  Node node;
  size_t pos = 0;
  for (int ops = 0; pos < size && ops < 64; ++ops) {
    uint8_t op = data[pos++] % 3;
    if (op == 0) {
      node.raft->Tick();
    } else if (op == 1) {
      (void)node.raft->Propose(Bytes{1, 2, 3});
    } else {
      if (size - pos < 2) break;
      size_t n =
          std::min<size_t>(LoadLE32(Bytes{data[pos], data[pos + 1], 0, 0}.data()), size - pos - 2);
      Result<Message> m = DecodeMessage(ByteSpan(data + pos + 2, n));
      pos += 2 + n;
      if (!m.ok()) continue;
      m->to = 1;
      m->from = 2 + m->from % 2;
      Check(node.raft->Step(std::move(*m)).ok());
    }
    node.Drive();
  }
  return 0;
}
