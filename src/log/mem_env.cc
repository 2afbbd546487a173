#include "log/mem_env.h"

#include <algorithm>
#include <cstring>

namespace dlog::log {

// A file or a directory. For files, `durable` holds what survives a crash, and when
// `durable_is_prefix` it equals the first durable.size() bytes of `data` (appends
// only since the last sync), so syncing copies only the new bytes.
struct MemEnv::Inode {
  bool is_dir = false;
  Bytes data;
  Bytes durable;
  bool durable_is_prefix = true;
  std::map<std::string, std::shared_ptr<Inode>> children;
  std::map<std::string, std::shared_ptr<Inode>> durable_children;
};

namespace {

using Inode = MemEnv::Inode;

Status NotFound(const std::string& path) {
  return Status::Error(path + ": no such file or directory");
}

// "/a/b/c" → {"a", "b", "c"}; empty components are ignored.
std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

void SyncFile(Inode& f) {
  if (f.durable_is_prefix) {
    f.durable.insert(f.durable.end(), f.data.begin() + ptrdiff_t(f.durable.size()), f.data.end());
  } else {
    f.durable = f.data;
    f.durable_is_prefix = true;
  }
}

void CrashFile(Inode& f, const std::string& path, const MemEnv::KeepUnsynced& keep) {
  if (f.durable_is_prefix) {
    const size_t unsynced = f.data.size() - f.durable.size();
    const size_t kept = keep && unsynced > 0 ? std::min(keep(path, unsynced), unsynced) : 0;
    f.data.resize(f.durable.size() + kept);
  } else {
    f.data = f.durable;
  }
  f.durable = f.data;  // what is on the platter after the crash stays there
  f.durable_is_prefix = true;
}

void CrashDir(Inode& d, const std::string& path, const MemEnv::KeepUnsynced& keep) {
  d.children = d.durable_children;
  for (auto& [name, child] : d.children) {
    const std::string child_path = JoinPath(path, name);
    if (child->is_dir) {
      CrashDir(*child, child_path, keep);
    } else {
      CrashFile(*child, child_path, keep);
    }
  }
}

}  // namespace

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(MemEnv* env, std::shared_ptr<Inode> node, uint64_t generation, std::string path)
      : env_(env), node_(std::move(node)), generation_(generation), path_(std::move(path)) {}

  Status Append(ByteSpan data) override {
    std::lock_guard lock(env_->mu_);
    if (Status s = Check(); !s.ok()) return s;
    node_->data.insert(node_->data.end(), data.begin(), data.end());
    return Status::Ok();
  }

  Status Sync() override {
    std::lock_guard lock(env_->mu_);
    if (Status s = Check(); !s.ok()) return s;
    SyncFile(*node_);
    ++env_->file_syncs_;
    return Status::Ok();
  }

 private:
  Status Check() const {  // requires env_->mu_
    if (generation_ != env_->generation_)
      return Status::Error(path_ + ": handle from before a crash");
    return env_->WriteCheck();
  }

  MemEnv* env_;
  std::shared_ptr<Inode> node_;
  uint64_t generation_;
  std::string path_;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  MemRandomAccessFile(MemEnv* env, std::shared_ptr<Inode> node, uint64_t generation,
                      std::string path)
      : env_(env), node_(std::move(node)), generation_(generation), path_(std::move(path)) {}

  Result<ByteSpan> Read(uint64_t offset, size_t n, uint8_t* scratch) const override {
    std::lock_guard lock(env_->mu_);
    if (generation_ != env_->generation_)
      return Status::Error(path_ + ": handle from before a crash");
    const Bytes& d = node_->data;
    if (offset >= d.size()) return ByteSpan(scratch, 0);
    const size_t got = std::min<uint64_t>(n, d.size() - offset);
    std::memcpy(scratch, d.data() + offset, got);
    return ByteSpan(scratch, got);
  }

 private:
  MemEnv* env_;
  std::shared_ptr<Inode> node_;
  uint64_t generation_;
  std::string path_;
};

MemEnv::MemEnv() : root_(std::make_shared<Inode>()) { root_->is_dir = true; }
MemEnv::~MemEnv() = default;

std::shared_ptr<Inode> MemEnv::Lookup(const std::string& path) const {
  std::shared_ptr<Inode> node = root_;
  for (const std::string& part : Split(path)) {
    if (!node->is_dir) return nullptr;
    auto it = node->children.find(part);
    if (it == node->children.end()) return nullptr;
    node = it->second;
  }
  return node;
}

Result<std::shared_ptr<Inode>> MemEnv::ParentOf(const std::string& path, std::string* leaf) const {
  std::vector<std::string> parts = Split(path);
  if (parts.empty()) return Status::Error("'" + path + "' has no parent directory");
  *leaf = parts.back();
  std::shared_ptr<Inode> parent = Lookup(DirName(path));
  if (!parent || !parent->is_dir) return NotFound(DirName(path));
  return parent;
}

Status MemEnv::WriteCheck() {
  if (fail_after_ == 0) {
    fail_writes_ = true;
    fail_after_ = -1;
  } else if (fail_after_ > 0) {
    --fail_after_;
  }
  return fail_writes_ ? Status::Error("injected write failure") : Status::Ok();
}

Result<std::unique_ptr<WritableFile>> MemEnv::OpenWritable(const std::string& path, bool truncate) {
  std::lock_guard lock(mu_);
  if (Status s = WriteCheck(); !s.ok()) return s;
  std::string leaf;
  Result<std::shared_ptr<Inode>> parent = ParentOf(path, &leaf);
  if (!parent.ok()) return parent.status();
  std::shared_ptr<Inode>& slot = (*parent)->children[leaf];
  if (!slot) slot = std::make_shared<Inode>();
  if (slot->is_dir) return Status::Error(path + ": is a directory");
  if (truncate) {
    slot->data.clear();
    slot->durable_is_prefix = slot->durable.empty();
  }
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, slot, generation_, path));
}

Result<std::unique_ptr<WritableFile>> MemEnv::NewWritableFile(const std::string& path) {
  return OpenWritable(path, true);
}

Result<std::unique_ptr<WritableFile>> MemEnv::NewAppendableFile(const std::string& path) {
  return OpenWritable(path, false);
}

Result<std::unique_ptr<RandomAccessFile>> MemEnv::NewRandomAccessFile(const std::string& path) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Inode> node = Lookup(path);
  if (!node || node->is_dir) return NotFound(path);
  return std::unique_ptr<RandomAccessFile>(new MemRandomAccessFile(this, node, generation_, path));
}

bool MemEnv::FileExists(const std::string& path) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Inode> node = Lookup(path);
  return node && !node->is_dir;
}

bool MemEnv::DirExists(const std::string& path) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Inode> node = Lookup(path);
  return node && node->is_dir;
}

Result<uint64_t> MemEnv::GetFileSize(const std::string& path) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Inode> node = Lookup(path);
  if (!node || node->is_dir) return NotFound(path);
  return uint64_t(node->data.size());
}

Result<std::vector<std::string>> MemEnv::GetChildren(const std::string& dir) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Inode> node = Lookup(dir);
  if (!node || !node->is_dir) return NotFound(dir);
  std::vector<std::string> names;
  for (const auto& [name, child] : node->children) names.push_back(name);
  return names;
}

Status MemEnv::RemoveFile(const std::string& path) {
  std::lock_guard lock(mu_);
  if (Status s = WriteCheck(); !s.ok()) return s;
  std::string leaf;
  Result<std::shared_ptr<Inode>> parent = ParentOf(path, &leaf);
  if (!parent.ok()) return parent.status();
  auto it = (*parent)->children.find(leaf);
  if (it == (*parent)->children.end() || it->second->is_dir) return NotFound(path);
  (*parent)->children.erase(it);
  return Status::Ok();
}

Status MemEnv::CreateDir(const std::string& path) {
  std::lock_guard lock(mu_);
  if (Status s = WriteCheck(); !s.ok()) return s;
  std::string leaf;
  Result<std::shared_ptr<Inode>> parent = ParentOf(path, &leaf);
  if (!parent.ok()) return parent.status();
  if ((*parent)->children.count(leaf)) return Status::Error("mkdir " + path + ": exists");
  auto dir = std::make_shared<Inode>();
  dir->is_dir = true;
  (*parent)->children[leaf] = std::move(dir);
  return Status::Ok();
}

Status MemEnv::RemoveDir(const std::string& path) {
  std::lock_guard lock(mu_);
  if (Status s = WriteCheck(); !s.ok()) return s;
  std::string leaf;
  Result<std::shared_ptr<Inode>> parent = ParentOf(path, &leaf);
  if (!parent.ok()) return parent.status();
  auto it = (*parent)->children.find(leaf);
  if (it == (*parent)->children.end() || !it->second->is_dir) return NotFound(path);
  if (!it->second->children.empty()) return Status::Error("rmdir " + path + ": not empty");
  (*parent)->children.erase(it);
  return Status::Ok();
}

Status MemEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  if (Status s = WriteCheck(); !s.ok()) return s;
  std::string from_leaf, to_leaf;
  Result<std::shared_ptr<Inode>> from_parent = ParentOf(from, &from_leaf);
  if (!from_parent.ok()) return from_parent.status();
  Result<std::shared_ptr<Inode>> to_parent = ParentOf(to, &to_leaf);
  if (!to_parent.ok()) return to_parent.status();
  auto it = (*from_parent)->children.find(from_leaf);
  if (it == (*from_parent)->children.end()) return NotFound(from);
  std::shared_ptr<Inode> node = it->second;
  auto target = (*to_parent)->children.find(to_leaf);
  if (target != (*to_parent)->children.end()) {
    if (target->second->is_dir != node->is_dir)
      return Status::Error("rename " + to + ": type mismatch");
    if (node->is_dir && !target->second->children.empty()) {
      return Status::Error("rename " + to + ": directory not empty");
    }
  }
  (*from_parent)->children.erase(from_leaf);
  (*to_parent)->children[to_leaf] = std::move(node);
  return Status::Ok();
}

Status MemEnv::TruncateFile(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  if (Status s = WriteCheck(); !s.ok()) return s;
  std::shared_ptr<Inode> node = Lookup(path);
  if (!node || node->is_dir) return NotFound(path);
  if (size < node->durable.size()) node->durable_is_prefix = false;
  node->data.resize(size);
  return Status::Ok();
}

Status MemEnv::SyncDir(const std::string& dir) {
  std::lock_guard lock(mu_);
  if (Status s = WriteCheck(); !s.ok()) return s;
  std::shared_ptr<Inode> node = Lookup(dir);
  if (!node || !node->is_dir) return NotFound(dir);
  node->durable_children = node->children;
  ++dir_syncs_;
  return Status::Ok();
}

void MemEnv::Crash(const KeepUnsynced& keep) {
  std::lock_guard lock(mu_);
  ++generation_;
  fail_writes_ = false;
  fail_after_ = -1;
  CrashDir(*root_, "/", keep);
}

Status MemEnv::CorruptFile(const std::string& path, uint64_t offset, uint8_t mask) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Inode> node = Lookup(path);
  if (!node || node->is_dir) return NotFound(path);
  if (offset >= node->data.size()) return Status::Error(path + ": corrupt offset past the end");
  node->data[offset] ^= mask;
  if (offset < node->durable.size()) node->durable[offset] ^= mask;
  return Status::Ok();
}

void MemEnv::SetFailWrites(bool fail) {
  std::lock_guard lock(mu_);
  fail_writes_ = fail;
}

void MemEnv::FailWritesAfter(uint64_t calls) {
  std::lock_guard lock(mu_);
  fail_after_ = int64_t(calls);
}

uint64_t MemEnv::file_syncs() const {
  std::lock_guard lock(mu_);
  return file_syncs_;
}

uint64_t MemEnv::dir_syncs() const {
  std::lock_guard lock(mu_);
  return dir_syncs_;
}

}  // namespace dlog::log
