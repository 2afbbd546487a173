#include "log/env.h"

namespace dlog::log {
namespace {

Status RemoveTreeAt(Env* env, const std::string& dir, int depth) {
  if (depth > kMaxRemoveDepth) return Status::Error(dir + ": directory tree too deep to remove");
  Result<std::vector<std::string>> children = env->GetChildren(dir);
  if (!children.ok()) return children.status();
  for (const std::string& name : *children) {
    const std::string path = JoinPath(dir, name);
    Status s = env->DirExists(path) ? RemoveTreeAt(env, path, depth + 1) : env->RemoveFile(path);
    if (!s.ok()) return s;
  }
  return env->RemoveDir(dir);
}

}  // namespace

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status CreateDirIfMissing(Env* env, const std::string& dir) {
  if (env->DirExists(dir)) return Status::Ok();
  return env->CreateDir(dir);
}

Status WriteFileAtomically(Env* env, const std::string& path, ByteSpan data) {
  const std::string tmp = path + ".tmp";
  {
    Result<std::unique_ptr<WritableFile>> f = env->NewWritableFile(tmp);
    if (!f.ok()) return f.status();
    if (Status s = (*f)->Append(data); !s.ok()) return s;
    if (Status s = (*f)->Sync(); !s.ok()) return s;
  }
  if (Status s = env->RenameFile(tmp, path); !s.ok()) return s;
  return env->SyncDir(DirName(path));
}

Result<Bytes> ReadFileToBytes(Env* env, const std::string& path, uint64_t max_size) {
  Result<uint64_t> size = env->GetFileSize(path);
  if (!size.ok()) return size.status();
  if (*size > max_size) {
    return Status::Error(path + ": " + std::to_string(*size) + " bytes, more than the " +
                         std::to_string(max_size) + " expected");
  }
  Result<std::unique_ptr<RandomAccessFile>> f = env->NewRandomAccessFile(path);
  if (!f.ok()) return f.status();
  Bytes buf(*size);
  Result<ByteSpan> got = (*f)->Read(0, buf.size(), buf.data());
  if (!got.ok()) return got.status();
  buf.resize(got->size());
  return buf;
}

Status RemoveTree(Env* env, const std::string& dir) { return RemoveTreeAt(env, dir, 0); }

}  // namespace dlog::log
