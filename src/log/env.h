// Env: every file-system operation the storage layer makes goes through this
// interface (after LevelDB's Env), so tests can run it on an in-memory file system that
// loses unsynced data on a simulated crash (mem_env.h), and production on POSIX
// (posix_env.h). Paths are absolute, '/'-separated, without a trailing '/'.
//
// Durability contract, as POSIX gives it: bytes reach stable storage only after
// WritableFile::Sync; a new, removed or renamed directory entry only after SyncDir of
// the directory holding it.
//
// Env implementations are thread-safe; a file handle is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace dlog::log {

// An append-only file handle. Appended bytes are visible to readers of the same path
// as soon as Append returns (no buffering in user space).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data` at the end of the file, or fails; after a failure the file
  // may hold any prefix of `data`.
  virtual Status Append(ByteSpan data) = 0;
  // fdatasync: everything appended so far is on stable storage when this returns OK.
  virtual Status Sync() = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to `n` bytes at `offset` into `scratch` (room for `n`); the result points
  // into `scratch` and is shorter than `n` only at end of file.
  virtual Result<ByteSpan> Read(uint64_t offset, size_t n, uint8_t* scratch) const = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // Creates `path` (mode 0600), or empties it if it exists, for appending.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens `path` for appending at its end, creating it (mode 0600) if missing.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;  // a regular file
  virtual bool DirExists(const std::string& path) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  // Names of the entries of `dir`, without "." and "..", in no particular order.
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;

  virtual Status RemoveFile(const std::string& path) = 0;
  // Creates one directory, mode 0700; fails if it exists or its parent does not.
  virtual Status CreateDir(const std::string& path) = 0;
  virtual Status RemoveDir(const std::string& path) = 0;  // must be empty
  // rename(2): atomically replaces `to` (a file, or an empty directory).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // truncate(2) to `size` bytes (not durable until the file is synced).
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // fsync(2) of directory `dir`: makes its entries durable.
  virtual Status SyncDir(const std::string& dir) = 0;
};

// Helpers built on any Env.

// "a/b" joined with "c" is "a/b/c".
std::string JoinPath(const std::string& dir, const std::string& name);
// "/a/b/c" → "/a/b"; "/a" → "/".
std::string DirName(const std::string& path);

// Creates `dir` if it does not exist (mode 0700); OK if it is already a directory.
Status CreateDirIfMissing(Env* env, const std::string& dir);

// Replaces `path` with `data` atomically and durably: writes `path`.tmp, syncs it,
// renames it over `path`, syncs the directory. After a crash `path` holds either the
// old or the new contents, never a mix.
Status WriteFileAtomically(Env* env, const std::string& path, ByteSpan data);

// Reads a whole file of at most `max_size` bytes.
Result<Bytes> ReadFileToBytes(Env* env, const std::string& path, uint64_t max_size);

// Removes `dir` and everything below it (bounded depth: kMaxRemoveDepth levels).
Status RemoveTree(Env* env, const std::string& dir);
inline constexpr int kMaxRemoveDepth = 16;

}  // namespace dlog::log
