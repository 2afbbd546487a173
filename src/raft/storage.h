// Storage: where a Raft node keeps its log and hard state (Figure 2's persistent state).
//
// The core only reads it (the "read" half below), at any time, and sees exactly what the
// driver persisted: it never writes. The driver writes it while handling a Ready
// (raft.h): Append the Ready's entries, SetHardState, then Sync, and only then sends the
// Ready's messages. MemoryStorage (memory_storage.h) is the in-memory implementation for
// tests and the simulator; the on-disk log (src/log) implements the same interface.
//
// Log shape: entries FirstIndex()..LastIndex(), consecutive; TermAt(FirstIndex() - 1) is
// also known (0 for an uncompacted log, whose FirstIndex() is 1). An empty log has
// LastIndex() == FirstIndex() - 1.
//
// Errors: a failed read is fatal to the core (it cannot decide safely without its log);
// reads of indices outside the range above are programmer errors.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "raft/membership.h"
#include "raft/types.h"

namespace dlog::raft {

struct InitialState {
  HardState hard_state;
  // The voters in force at FirstIndex() - 1: the bootstrap set (or, once compaction
  // exists, the set as of the compaction point). Membership entries in the log refine it.
  Membership membership;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // --- read by the core ---
  virtual Result<InitialState> LoadInitialState() const = 0;
  virtual Index FirstIndex() const = 0;
  virtual Index LastIndex() const = 0;
  // Requires FirstIndex() - 1 <= i <= LastIndex().
  virtual Result<Term> TermAt(Index i) const = 0;
  // Entries [lo, hi) in order, stopping before the total data exceeds max_bytes but
  // always at least one. Requires FirstIndex() <= lo < hi <= LastIndex() + 1.
  virtual Result<std::vector<Entry>> Entries(Index lo, Index hi, uint64_t max_bytes) const = 0;

  // --- written by the driver ---
  // Writes entries (consecutive; entries[0].index in [FirstIndex(), LastIndex() + 1]),
  // first dropping every stored entry at or after entries[0].index.
  virtual Status Append(std::span<const Entry> entries) = 0;
  virtual Status SetHardState(const HardState& hs) = 0;
  // Makes everything written so far durable: a crash after Sync returns loses none of it.
  virtual Status Sync() = 0;
};

}  // namespace dlog::raft
