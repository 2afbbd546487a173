#include "log/log_store.h"

#include <cstring>

#include "base/log.h"
#include "log/crc32c.h"

namespace dlog::log {
namespace {

constexpr char kMetaMagic[8] = {'D', 'L', 'O', 'G', 'M', 'E', 'T', 'A'};
constexpr uint32_t kMetaVersion = 1;
constexpr char kMetaFile[] = "meta";
static_assert(8 + 4 + 4 + 8 + 8 + 8 + 4 == kLogMetaSize);

const Clock* WallClock(const PartitionOptions& options) {
  static const SystemClock system;
  return options.clock ? options.clock : &system;
}

std::string UnknownLog(const LogName& name) { return "log " + name.ToString() + " does not exist"; }

}  // namespace

Bytes EncodeLogMeta(const LogConfig& config, int64_t created_unix_ms) {
  Bytes out(kLogMetaSize);
  std::memcpy(out.data(), kMetaMagic, 8);
  StoreLE32(&out[8], kMetaVersion);
  StoreLE32(&out[12], config.partitions);
  StoreLE64(&out[16], static_cast<uint64_t>(created_unix_ms));
  StoreLE64(&out[24], static_cast<uint64_t>(config.retention.max_bytes));
  StoreLE64(&out[32], static_cast<uint64_t>(config.retention.max_age_ms));
  StoreLE32(&out[40], Crc32c(ByteSpan(out).first(40)));
  return out;
}

Result<LogInfo> DecodeLogMeta(const LogName& name, ByteSpan f) {
  auto bad = [&](const std::string& why) {
    return Status::Error("metadata of log " + name.ToString() + " is unreadable: " + why);
  };
  if (f.size() != kLogMetaSize) return bad("size " + std::to_string(f.size()) + ", expected 44");
  if (std::memcmp(f.data(), kMetaMagic, 8) != 0) return bad("bad magic");
  if (Crc32c(f.first(40)) != LoadLE32(&f[40])) return bad("CRC mismatch");
  if (LoadLE32(&f[8]) != kMetaVersion) {
    return bad("format version " + std::to_string(LoadLE32(&f[8])) + " is not supported");
  }
  LogInfo info{name, {}, static_cast<int64_t>(LoadLE64(&f[16]))};
  info.config.partitions = LoadLE32(&f[12]);
  info.config.retention.max_bytes = static_cast<int64_t>(LoadLE64(&f[24]));
  info.config.retention.max_age_ms = static_cast<int64_t>(LoadLE64(&f[32]));
  if (Status s = ValidatePartitionCount(info.config.partitions); !s.ok()) return bad(s.message());
  return info;
}

LogStore::LogStore(Env* env, std::string data_dir, const PartitionOptions& options)
    : env_(env),
      data_dir_(std::move(data_dir)),
      logs_dir_(JoinPath(data_dir_, "logs")),
      options_(options) {}

std::string LogStore::NamespaceDir(const std::string& ns) const { return JoinPath(logs_dir_, ns); }
std::string LogStore::LogDir(const LogName& name) const {
  return JoinPath(NamespaceDir(name.ns()), name.name());
}

Result<std::unique_ptr<LogStore>> LogStore::Open(Env* env, const std::string& data_dir,
                                                 const PartitionOptions& options) {
  std::unique_ptr<LogStore> store(new LogStore(env, data_dir, options));
  for (const std::string& dir : {data_dir, store->logs_dir_}) {
    if (env->DirExists(dir)) continue;
    if (Status s = env->CreateDir(dir); !s.ok()) return s;
    if (Status s = env->SyncDir(DirName(dir)); !s.ok()) return s;
  }
  std::lock_guard lock(store->mu_);
  if (Status s = store->Load(); !s.ok()) return s;
  return store;
}

Status LogStore::Load() {
  Result<std::vector<std::string>> namespaces = env_->GetChildren(logs_dir_);
  if (!namespaces.ok()) return namespaces.status();
  for (const std::string& ns : *namespaces) {
    if (!env_->DirExists(NamespaceDir(ns))) continue;
    if (Status s = LoadNamespace(ns); !s.ok()) return s;
  }
  return Status::Ok();
}

// Opens the logs of one namespace directory; removes what creations and deletions cut
// short by a crash left behind (log directories without meta, then an empty namespace).
Status LogStore::LoadNamespace(const std::string& ns) {
  Result<std::vector<std::string>> names = env_->GetChildren(NamespaceDir(ns));
  if (!names.ok()) return names.status();
  size_t kept = 0;
  for (const std::string& n : *names) {
    Result<LogName> name = LogName::Make(ns, n);
    if (!name.ok()) {
      DLOG_ERROR("%s: ignoring %s (%s)", logs_dir_.c_str(), (ns + "/" + n).c_str(),
                 name.error().c_str());
      ++kept;
      continue;
    }
    if (!env_->FileExists(JoinPath(LogDir(*name), kMetaFile))) {
      DLOG_INFO("removing %s: left unfinished by a crash", LogDir(*name).c_str());
      if (Status s = RemoveTree(env_, LogDir(*name)); !s.ok()) return s;
      if (Status s = env_->SyncDir(NamespaceDir(ns)); !s.ok()) return s;
      continue;
    }
    Result<OpenLog> log = LoadLog(*name);
    if (!log.ok()) return log.status();
    logs_.emplace(*name, std::move(*log));
    ++kept;
  }
  if (kept > 0) return Status::Ok();
  if (Status s = env_->RemoveDir(NamespaceDir(ns)); !s.ok()) return s;
  return env_->SyncDir(logs_dir_);
}

Result<LogStore::OpenLog> LogStore::LoadLog(const LogName& name) {
  Result<Bytes> meta = ReadFileToBytes(env_, JoinPath(LogDir(name), kMetaFile), kLogMetaSize);
  if (!meta.ok()) return meta.status();
  Result<LogInfo> info = DecodeLogMeta(name, *meta);
  if (!info.ok()) return info.status();
  OpenLog log{*info, {}};
  for (uint32_t p = 0; p < info->config.partitions; ++p) {
    Result<std::unique_ptr<Partition>> part =
        Partition::Open(env_, JoinPath(LogDir(name), std::to_string(p)), options_);
    if (!part.ok()) return part.status();
    log.partitions.push_back(std::move(*part));
  }
  return log;
}

Result<LogInfo> LogStore::CreateLog(const LogName& name, const LogConfig& config) {
  if (Status s = ValidatePartitionCount(config.partitions); !s.ok()) return s;
  std::lock_guard lock(mu_);
  if (logs_.count(name)) return Status::Error("log " + name.ToString() + " already exists");
  Result<OpenLog> log = CreateFiles(name, config);
  if (!log.ok()) {
    if (env_->DirExists(LogDir(name))) (void)RemoveTree(env_, LogDir(name));
    return Status::Error("cannot create log " + name.ToString() + ": " + log.error());
  }
  LogInfo info = log->info;
  logs_.emplace(name, std::move(*log));
  return info;
}

// Namespace and log directories, each partition (directory and first segment), then
// the meta file, each step synced before the next.
Result<LogStore::OpenLog> LogStore::CreateFiles(const LogName& name, const LogConfig& config) {
  const std::string ns_dir = NamespaceDir(name.ns());
  const std::string dir = LogDir(name);
  if (!env_->DirExists(ns_dir)) {
    if (Status s = env_->CreateDir(ns_dir); !s.ok()) return s;
    if (Status s = env_->SyncDir(logs_dir_); !s.ok()) return s;
  }
  if (env_->DirExists(dir)) {  // left by a failed creation or deletion in this run
    if (Status s = RemoveTree(env_, dir); !s.ok()) return s;
  }
  if (Status s = env_->CreateDir(dir); !s.ok()) return s;
  if (Status s = env_->SyncDir(ns_dir); !s.ok()) return s;
  OpenLog log{{name, config, WallClock(options_)->WallNow().unix_nanos / 1'000'000}, {}};
  for (uint32_t p = 0; p < config.partitions; ++p) {
    const std::string part_dir = JoinPath(dir, std::to_string(p));
    if (Status s = env_->CreateDir(part_dir); !s.ok()) return s;
    Result<std::unique_ptr<Partition>> part = Partition::Open(env_, part_dir, options_);
    if (!part.ok()) return part.status();
    log.partitions.push_back(std::move(*part));
  }
  if (Status s = env_->SyncDir(dir); !s.ok()) return s;
  Bytes meta = EncodeLogMeta(config, log.info.created_unix_ms);
  if (Status s = WriteFileAtomically(env_, JoinPath(dir, kMetaFile), meta); !s.ok()) return s;
  return log;
}

Status LogStore::DeleteLog(const LogName& name) {
  std::lock_guard lock(mu_);
  auto it = logs_.find(name);
  if (it == logs_.end()) return Status::Error(UnknownLog(name));
  for (const auto& p : it->second.partitions) p->Close();
  logs_.erase(it);
  const std::string dir = LogDir(name);
  if (Status s = env_->RemoveFile(JoinPath(dir, kMetaFile)); !s.ok()) return s;
  if (Status s = env_->SyncDir(dir); !s.ok()) return s;  // deleted from here on
  if (Status s = RemoveTree(env_, dir); !s.ok()) return s;
  const std::string ns_dir = NamespaceDir(name.ns());
  if (Status s = env_->SyncDir(ns_dir); !s.ok()) return s;
  Result<std::vector<std::string>> rest = env_->GetChildren(ns_dir);
  if (!rest.ok() || !rest->empty()) return rest.status();
  if (Status s = env_->RemoveDir(ns_dir); !s.ok()) return s;
  return env_->SyncDir(logs_dir_);
}

std::vector<LogInfo> LogStore::ListLogs() const {
  std::lock_guard lock(mu_);
  std::vector<LogInfo> out;
  for (const auto& [name, log] : logs_) out.push_back(log.info);
  return out;
}

Result<LogInfo> LogStore::DescribeLog(const LogName& name) const {
  std::lock_guard lock(mu_);
  auto it = logs_.find(name);
  if (it == logs_.end()) return Status::Error(UnknownLog(name));
  return it->second.info;
}

Result<std::shared_ptr<Partition>> LogStore::GetPartition(const LogName& name,
                                                          PartitionId partition) const {
  std::lock_guard lock(mu_);
  auto it = logs_.find(name);
  if (it == logs_.end()) return Status::Error(UnknownLog(name));
  if (partition >= it->second.partitions.size()) {
    return Status::Error("log " + name.ToString() + " has partitions 0.." +
                         std::to_string(it->second.partitions.size() - 1) + ", not " +
                         std::to_string(partition));
  }
  return it->second.partitions[partition];
}

std::vector<std::shared_ptr<Partition>> LogStore::AllPartitions() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Partition>> out;
  for (const auto& [name, log] : logs_)
    out.insert(out.end(), log.partitions.begin(), log.partitions.end());
  return out;
}

Status LogStore::Tick() {
  Status first;
  for (const auto& p : AllPartitions()) {
    if (Status s = p->Tick(); !s.ok() && first.ok()) first = s;
  }
  return first;
}

std::optional<TimePoint> LogStore::NextSyncDeadline() const {
  std::optional<TimePoint> next;
  for (const auto& p : AllPartitions()) {
    std::optional<TimePoint> d = p->NextSyncDeadline();
    if (d && (!next || *d < *next)) next = d;
  }
  return next;
}

Status LogStore::SyncAll() {
  Status first;
  for (const auto& p : AllPartitions()) {
    if (Status s = p->Sync(); !s.ok() && first.ok()) first = s;
  }
  return first;
}

Result<size_t> LogStore::ApplyRetention(int64_t now_unix_ms) {
  std::vector<std::pair<RetentionPolicy, std::shared_ptr<Partition>>> work;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, log] : logs_) {
      for (const auto& p : log.partitions) work.emplace_back(log.info.config.retention, p);
    }
  }
  size_t dropped = 0;
  for (const auto& [policy, p] : work) {
    Result<size_t> n = p->ApplyRetention(policy, now_unix_ms);
    if (!n.ok()) return n.status();
    dropped += *n;
  }
  return dropped;
}

}  // namespace dlog::log
