// MemEnv: an in-memory Env that models what survives a power cut, for crash tests,
// the simulator and fuzzers.
//
// Model (POSIX, as ext4 with data=ordered roughly behaves):
//  - every file has live contents (what reads see) and synced contents (what its last
//    Sync made durable);
//  - every directory has live entries and synced entries (as of its last SyncDir);
//  - Crash() throws away all that is not durable: each directory reverts to its synced
//    entries, each file to its synced contents, except that a file that was only
//    appended to since its last Sync may keep any prefix of the unsynced bytes (the
//    caller picks how many: none, all, or a torn write in between).
// CorruptFile flips bits in both views (media corruption of durable data).
// SetFailWrites makes every mutating call fail, as a full or failing disk would.
//
// Thread-safe (one mutex). Handles opened before a Crash fail afterwards.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "log/env.h"

namespace dlog::log {

class MemEnv final : public Env {
 public:
  MemEnv();
  ~MemEnv() override;

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  bool DirExists(const std::string& path) override;
  Result<uint64_t> GetFileSize(const std::string& path) override;
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDir(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;

  // Decides, for a file at `path` whose live contents are its synced contents plus
  // `unsynced` appended bytes, how many of those bytes survive (clamped to `unsynced`).
  using KeepUnsynced = std::function<size_t(const std::string& path, size_t unsynced)>;

  // Simulates a power cut (see the model above). `keep` defaults to keeping nothing.
  void Crash(const KeepUnsynced& keep = nullptr);

  // XORs `mask` into the byte at `offset` of `path`, live and synced alike.
  Status CorruptFile(const std::string& path, uint64_t offset, uint8_t mask);

  // While set, Append, Sync, SyncDir, Truncate, Rename, Create* and Remove* fail.
  void SetFailWrites(bool fail);
  // Lets `calls` more of those succeed, then sets SetFailWrites(true): a power cut in
  // the middle of an operation, when followed by Crash(). Crash() clears both.
  void FailWritesAfter(uint64_t calls);

  uint64_t file_syncs() const;  // WritableFile::Sync calls that succeeded
  uint64_t dir_syncs() const;

  struct Inode;  // implementation detail, public for the handle classes in mem_env.cc

 private:
  friend class MemWritableFile;
  friend class MemRandomAccessFile;

  std::shared_ptr<Inode> Lookup(const std::string& path) const;  // requires mu_
  Result<std::shared_ptr<Inode>> ParentOf(const std::string& path, std::string* leaf) const;
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, bool truncate);
  Status WriteCheck();  // requires mu_; counts down fail_after_

  mutable std::mutex mu_;
  std::shared_ptr<Inode> root_;
  uint64_t generation_ = 0;  // bumped by Crash; handles from older generations fail
  bool fail_writes_ = false;
  int64_t fail_after_ = -1;  // -1: no countdown
  uint64_t file_syncs_ = 0;
  uint64_t dir_syncs_ = 0;
};

}  // namespace dlog::log
