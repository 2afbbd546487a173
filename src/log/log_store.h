// LogStore: every log of one node, in a data directory (docs/STORAGE.md):
//
//   <data_dir>/logs/<namespace>/<name>/meta     the log's metadata (layout below)
//   <data_dir>/logs/<namespace>/<name>/<p>/     partition p's segments, p = 0..n-1
//
// Directories are created 0700. A log exists exactly when its `meta` file does:
// CreateLog writes it last (atomically: temp file, fsync, rename, fsync directory) and
// DeleteLog removes it first, so a crash in either leaves a directory without `meta`,
// which Open removes.
//
//  meta                                                    (kLogMetaSize = 44)
//   0      8   magic            "DLOGMETA"
//   8      4   version          1
//  12      4   partitions       1..kMaxPartitions
//  16      8   created          Unix ms
//  24      8   retention_bytes  per partition, -1: unlimited
//  32      8   retention_ms     -1: unlimited
//  40      4   crc              CRC-32C of bytes [0, 40)
//
// Thread-safe: a mutex guards the set of logs; partitions lock themselves.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "log/log_name.h"
#include "log/partition.h"

namespace dlog::log {

inline constexpr size_t kLogMetaSize = 44;

struct LogConfig {
  uint32_t partitions = 1;
  RetentionPolicy retention{};
};

struct LogInfo {
  LogName name;
  LogConfig config;
  int64_t created_unix_ms = 0;
};

class LogStore {
 public:
  // Opens the store in `data_dir` (created, with its parents' entry synced, if
  // missing), recovering every partition. `options` apply to every partition; its
  // clock must outlive the store.
  static Result<std::unique_ptr<LogStore>> Open(Env* env, const std::string& data_dir,
                                                const PartitionOptions& options);

  Result<LogInfo> CreateLog(const LogName& name, const LogConfig& config);
  Status DeleteLog(const LogName& name);
  std::vector<LogInfo> ListLogs() const;  // sorted by name
  Result<LogInfo> DescribeLog(const LogName& name) const;
  // The partition stays usable by its holders until its log is deleted (then it fails).
  Result<std::shared_ptr<Partition>> GetPartition(const LogName& name, PartitionId partition) const;

  // Tick of every partition (kInterval syncs) and the earliest next deadline.
  Status Tick();
  std::optional<TimePoint> NextSyncDeadline() const;
  Status SyncAll();
  // Each log's retention policy, on each of its partitions; returns segments dropped.
  Result<size_t> ApplyRetention(int64_t now_unix_ms);

 private:
  struct OpenLog {
    LogInfo info;
    std::vector<std::shared_ptr<Partition>> partitions;
  };

  LogStore(Env* env, std::string data_dir, const PartitionOptions& options);
  Status Load();
  Status LoadNamespace(const std::string& ns);
  Result<OpenLog> LoadLog(const LogName& name);
  Result<OpenLog> CreateFiles(const LogName& name, const LogConfig& config);
  std::string LogDir(const LogName& name) const;
  std::string NamespaceDir(const std::string& ns) const;
  std::vector<std::shared_ptr<Partition>> AllPartitions() const;

  Env* const env_;
  const std::string data_dir_;
  const std::string logs_dir_;
  const PartitionOptions options_;

  mutable std::mutex mu_;
  std::map<LogName, OpenLog> logs_;
};

// The meta file's encoding (exposed for tests and tools).
Bytes EncodeLogMeta(const LogConfig& config, int64_t created_unix_ms);
Result<LogInfo> DecodeLogMeta(const LogName& name, ByteSpan file);

}  // namespace dlog::log
