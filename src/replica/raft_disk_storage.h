// RaftDiskStorage: raft::Storage (src/raft/storage.h) kept in files through log::Env,
// so the same code runs on disk (PosixEnv) and in crash tests and the simulator (MemEnv).
//
// Directory `dir` holds two files:
//   meta   written once, atomically (WriteFileAtomically), when the node is created:
//            0  u32 magic 'DLRM'  4 u32 version (1)  8 u64 node id
//           16  u32 membership length m   20 m membership (raft::Membership::Encode)
//           20+m u32 CRC-32C of bytes [0, 20+m)
//   wal    append-only frames; replaying them in order gives the log and hard state:
//            0  u32 body length n (kMinBody..kMaxBody)
//            4  u32 CRC-32C of the body
//            8  n   body:
//                 entry      u8 kind=1 | u8 entry type | u16 0 | u64 term | u64 index | data
//                 hard state u8 kind=2 | u8 0 | u16 0 | u64 term | u64 vote | u64 commit
//          An entry frame at index i drops every stored entry at or after i (a rewritten
//          suffix); the last hard-state frame wins.
//
// Durability (the Ready contract, src/raft/raft.h): Append and SetHardState only
// append frames; Sync() fsyncs the wal (FsyncPolicy kAlways), so a vote or an append
// acknowledgement sent after Sync survives a crash. A crash can leave a torn frame at
// the tail: Open detects it (short frame, bad length or bad CRC with nothing valid after
// it), cuts the file there and syncs. A bad frame followed by a valid one is media
// corruption of synced data, not a torn write: Open refuses to guess and fails.
//
// The log itself stays in the wal; memory holds only each entry's term, type and file
// position, and Entries() reads the data back. No compaction: FirstIndex() is 1 (the
// core has no snapshots yet, so there is no snapshot metadata to keep).
//
// Not thread-safe: the Raft driver owns it (raft.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "log/env.h"
#include "raft/storage.h"

namespace dlog::replica {

inline constexpr size_t kWalFrameHeader = 8;
inline constexpr size_t kWalEntryBodyHeader = 20;
inline constexpr size_t kWalHardStateBody = 28;
inline constexpr size_t kWalMaxBody = kWalEntryBodyHeader + (1 << 20);  // raft::kMaxEntryDataBytes
static_assert(kWalEntryBodyHeader == 4 + 8 + 8);
static_assert(kWalHardStateBody == 4 + 3 * 8);

enum class RaftSyncPolicy {
  kAlways,  // Sync() fsyncs: required for Raft's safety across power loss
  kNever,   // Sync() is a no-op: survives a process crash, not a power cut (benchmarks)
};

struct RaftStorageOptions {
  RaftSyncPolicy sync = RaftSyncPolicy::kAlways;
};

struct WalRecovery {
  uint64_t frames = 0;       // valid frames replayed
  uint64_t cut_bytes = 0;    // torn tail removed
  uint64_t valid_bytes = 0;  // the wal's size after recovery
};

class RaftDiskStorage final : public raft::Storage {
 public:
  // Creates the directory's files for a new node (`bootstrap`: initial voters, empty
  // for a node that joins later), or opens and recovers existing ones. An existing
  // store for another node id is an error.
  static Result<std::unique_ptr<RaftDiskStorage>> Open(log::Env* env, const std::string& dir,
                                                       raft::NodeId id,
                                                       const raft::Membership& bootstrap,
                                                       const RaftStorageOptions& options = {});

  Result<raft::InitialState> LoadInitialState() const override;
  raft::Index FirstIndex() const override { return 1; }
  raft::Index LastIndex() const override { return slots_.size(); }
  Result<raft::Term> TermAt(raft::Index i) const override;
  Result<std::vector<raft::Entry>> Entries(raft::Index lo, raft::Index hi,
                                           uint64_t max_bytes) const override;

  Status Append(std::span<const raft::Entry> entries) override;
  Status SetHardState(const raft::HardState& hs) override;
  Status Sync() override;

  const raft::HardState& hard_state() const { return hard_state_; }
  const WalRecovery& recovery() const { return recovery_; }
  uint64_t wal_bytes() const { return size_; }

 private:
  struct Slot {
    raft::Term term = 0;
    raft::EntryType type = raft::EntryType::kNormal;
    uint64_t position = 0;  // of the frame in the wal
    uint32_t data_size = 0;
  };
  RaftDiskStorage(log::Env* env, std::string dir, const RaftStorageOptions& options);
  Status LoadMeta(raft::NodeId id, const raft::Membership& bootstrap);
  Status Recover();
  Status Replay(ByteSpan body, uint64_t position);
  static void AddFrame(ByteSpan body, Bytes* out);
  Status Write(ByteSpan frames);
  Result<raft::Entry> ReadEntry(raft::Index i) const;

  log::Env* const env_;
  const std::string dir_;
  const RaftStorageOptions options_;
  raft::Membership bootstrap_;
  std::unique_ptr<log::WritableFile> wal_;
  std::unique_ptr<log::RandomAccessFile> reader_;
  std::vector<Slot> slots_;  // slots_[k] is entry k + 1
  raft::HardState hard_state_;
  uint64_t size_ = 0;  // bytes in the wal
  bool failed_ = false;
  WalRecovery recovery_;
};

}  // namespace dlog::replica
