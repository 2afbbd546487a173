// MemoryStorage: Storage held in memory, with a crash model for the simulator.
//
// Writes land in a "volatile" view; Sync copies it to the "durable" view. Crash()
// throws the volatile view away, as a power cut drops what was never synced. Not
// thread-safe: one driver owns it.
#pragma once

#include <vector>

#include "raft/storage.h"

namespace dlog::raft {

class MemoryStorage final : public Storage {
 public:
  // A new node's storage: empty log, zero hard state, `bootstrap` voters (empty for a
  // node that joins an existing cluster and learns the voters from its leader).
  explicit MemoryStorage(Membership bootstrap = {});

  Result<InitialState> LoadInitialState() const override;
  Index FirstIndex() const override { return 1; }
  Index LastIndex() const override { return live_.entries.size(); }
  Result<Term> TermAt(Index i) const override;
  Result<std::vector<Entry>> Entries(Index lo, Index hi, uint64_t max_bytes) const override;

  Status Append(std::span<const Entry> entries) override;
  Status SetHardState(const HardState& hs) override;
  Status Sync() override;

  // Loses every write since the last Sync.
  void Crash();
  const HardState& hard_state() const { return live_.hard_state; }

 private:
  struct View {
    HardState hard_state;
    std::vector<Entry> entries;  // entries[k].index == k + 1
  };
  // Copies entries from index dirty_from_ on, from one view to the other: the views
  // agree below it (so Sync and Crash cost what changed, not the whole log).
  void CopyTail(const View& from, View* to) const;

  Membership bootstrap_;
  View live_;
  View durable_;
  Index dirty_from_ = 1;  // lowest index written since the last Sync
};

}  // namespace dlog::raft
