// ProducerTable: the deduplication state of a replicated partition (Raft's client
// sessions, thesis §6.3; Kafka's idempotent producer). Part of the replicated state
// machine: every replica builds the same table by applying the same committed entries,
// so they all accept and drop the same batches and give records the same offsets.
//
// A producer numbers its batches 0, 1, 2, ... and retries a batch with the same number
// until it gets an answer. A batch is applied when its number is the next expected one
// (or the producer is unknown, which starts its session); a lower number is a duplicate
// (the earlier copy's offsets are returned when it was the last batch applied); a higher
// number is out of order (an earlier batch is missing: the producer must resend in order).
//
// Bounded: at most `max_producers` sessions; beyond, the session applied least recently
// (smallest Raft index, so the same on every replica) is forgotten, and a retry from
// that producer of an already applied batch would be applied again. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "log/record.h"
#include "raft/types.h"

namespace dlog::replica {

struct ProducerSession {
  uint64_t next_sequence = 0;
  log::Offset last_base_offset = 0;  // of batch next_sequence - 1
  log::Offset last_last_offset = 0;
  raft::Index last_index = 0;  // Raft entry that applied it
};

enum class SequenceVerdict : uint8_t { kApply, kDuplicateOfLast, kDuplicate, kOutOfOrder };

class ProducerTable {
 public:
  explicit ProducerTable(size_t max_producers) : max_(max_producers) {}

  // What to do with batch `sequence` of `producer` (non-zero). `session` is set when the
  // producer is known.
  SequenceVerdict Check(uint64_t producer, uint64_t sequence,
                        const ProducerSession** session) const;
  // Records that batch `sequence` was applied at [base, last] by entry `index`.
  void Applied(uint64_t producer, uint64_t sequence, log::Offset base, log::Offset last,
               raft::Index index);
  void Clear();
  // Every session, by producer (for checkpoints), and the table rebuilt from them.
  std::vector<std::pair<uint64_t, ProducerSession>> Sessions() const;
  void Restore(const std::vector<std::pair<uint64_t, ProducerSession>>& sessions);
  size_t size() const { return sessions_.size(); }

 private:
  size_t max_;
  std::map<uint64_t, ProducerSession> sessions_;
  std::set<std::pair<raft::Index, uint64_t>> by_age_;  // (last_index, producer)
};

}  // namespace dlog::replica
