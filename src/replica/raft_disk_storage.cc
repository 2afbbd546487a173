#include "replica/raft_disk_storage.h"

#include <cassert>
#include <cstring>

#include "log/crc32c.h"

namespace dlog::replica {
namespace {

constexpr uint32_t kMetaMagic = 0x4d524c44;  // "DLRM" little-endian
constexpr uint32_t kMetaVersion = 1;
constexpr size_t kMetaHeader = 20;
constexpr uint64_t kMaxMetaBytes = 4096;
constexpr uint8_t kKindEntry = 1;
constexpr uint8_t kKindHardState = 2;
constexpr size_t kWalMinBody = kWalEntryBodyHeader;

Bytes EncodeMeta(raft::NodeId id, const raft::Membership& m) {
  Bytes voters = m.Encode();
  Bytes out(kMetaHeader + voters.size() + 4);
  StoreLE32(out.data(), kMetaMagic);
  StoreLE32(out.data() + 4, kMetaVersion);
  StoreLE64(out.data() + 8, id);
  StoreLE32(out.data() + 16, uint32_t(voters.size()));
  std::memcpy(out.data() + kMetaHeader, voters.data(), voters.size());
  size_t n = kMetaHeader + voters.size();
  StoreLE32(out.data() + n, log::Crc32c(ByteSpan(out.data(), n)));
  return out;
}

Status ParseMeta(ByteSpan b, raft::NodeId* id, raft::Membership* m) {
  if (b.size() < kMetaHeader + 4 || LoadLE32(b.data()) != kMetaMagic ||
      LoadLE32(b.data() + 4) != kMetaVersion) {
    return Status::Error("raft storage: meta file is not a DLog raft meta file");
  }
  uint32_t len = LoadLE32(b.data() + 16);
  if (b.size() != kMetaHeader + size_t(len) + 4 ||
      LoadLE32(b.data() + kMetaHeader + len) != log::Crc32c(b.first(kMetaHeader + len))) {
    return Status::Error("raft storage: meta file is corrupt (length or checksum)");
  }
  *id = LoadLE64(b.data() + 8);
  Result<raft::Membership> voters = raft::Membership::Decode(b.subspan(kMetaHeader, len));
  if (!voters.ok()) return Status::Error("raft storage: meta file: " + voters.error());
  *m = std::move(*voters);
  return Status::Ok();
}

Bytes EntryBody(const raft::Entry& e) {
  Bytes b(kWalEntryBodyHeader + e.data.size());
  b[0] = kKindEntry;
  b[1] = uint8_t(e.type);
  StoreLE64(b.data() + 4, e.term);
  StoreLE64(b.data() + 12, e.index);
  if (!e.data.empty()) std::memcpy(b.data() + kWalEntryBodyHeader, e.data.data(), e.data.size());
  return b;
}

Bytes HardStateBody(const raft::HardState& hs) {
  Bytes b(kWalHardStateBody);
  b[0] = kKindHardState;
  StoreLE64(b.data() + 4, hs.term);
  StoreLE64(b.data() + 12, hs.vote);
  StoreLE64(b.data() + 20, hs.commit);
  return b;
}

}  // namespace

RaftDiskStorage::RaftDiskStorage(log::Env* env, std::string dir, const RaftStorageOptions& options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

Result<std::unique_ptr<RaftDiskStorage>> RaftDiskStorage::Open(log::Env* env,
                                                               const std::string& dir,
                                                               raft::NodeId id,
                                                               const raft::Membership& bootstrap,
                                                               const RaftStorageOptions& options) {
  // The directory's own entry must be durable too, or a crash could take the store away.
  if (Status s = log::CreateDirIfMissing(env, dir); !s.ok()) return s;
  if (Status s = env->SyncDir(log::DirName(dir)); !s.ok()) return s;
  std::unique_ptr<RaftDiskStorage> st(new RaftDiskStorage(env, dir, options));
  if (Status s = st->LoadMeta(id, bootstrap); !s.ok()) return s;
  if (Status s = st->Recover(); !s.ok()) return s;
  return st;
}

Status RaftDiskStorage::LoadMeta(raft::NodeId id, const raft::Membership& bootstrap) {
  std::string path = log::JoinPath(dir_, "meta");
  if (!env_->FileExists(path)) {
    // A crash before this write completes leaves no meta (or a .tmp): the node was never
    // created, and creating it again is safe because it has sent nothing yet.
    bootstrap_ = bootstrap;
    Bytes meta = EncodeMeta(id, bootstrap);
    return log::WriteFileAtomically(env_, path, meta);
  }
  Result<Bytes> meta = log::ReadFileToBytes(env_, path, kMaxMetaBytes);
  if (!meta.ok()) return meta.status();
  raft::NodeId stored = raft::kNoNode;
  if (Status s = ParseMeta(*meta, &stored, &bootstrap_); !s.ok()) return s;
  if (stored != id) {
    return Status::Error("raft storage: " + dir_ + " belongs to node " + std::to_string(stored) +
                         ", not " + std::to_string(id));
  }
  return Status::Ok();
}

Status RaftDiskStorage::Recover() {
  std::string path = log::JoinPath(dir_, "wal");
  if (!env_->FileExists(path)) {  // new, or a crash came between meta and the wal
    Result<std::unique_ptr<log::WritableFile>> f = env_->NewWritableFile(path);
    if (!f.ok()) return f.status();
    if (Status s = (*f)->Sync(); !s.ok()) return s;
    if (Status s = env_->SyncDir(dir_); !s.ok()) return s;
  }
  Result<uint64_t> size = env_->GetFileSize(path);
  if (!size.ok()) return size.status();
  Result<std::unique_ptr<log::RandomAccessFile>> reader = env_->NewRandomAccessFile(path);
  if (!reader.ok()) return reader.status();
  reader_ = std::move(*reader);

  // Whether a whole frame with a matching checksum starts at `pos` (its body in `body`).
  Bytes body;
  auto frame_at = [&](uint64_t pos) -> Result<bool> {
    uint8_t h[kWalFrameHeader];
    if (*size - pos < kWalFrameHeader) return false;
    Result<ByteSpan> hs = reader_->Read(pos, kWalFrameHeader, h);
    if (!hs.ok()) return hs.status();
    uint32_t len = LoadLE32(h);
    if (len < kWalMinBody || len > kWalMaxBody || *size - pos - kWalFrameHeader < len) return false;
    body.resize(len);
    Result<ByteSpan> bs = reader_->Read(pos + kWalFrameHeader, len, body.data());
    if (!bs.ok()) return bs.status();
    return bs->size() == len && log::Crc32c(*bs) == LoadLE32(h + 4);
  };

  uint64_t pos = 0;
  for (;;) {
    Result<bool> good = frame_at(pos);
    if (!good.ok()) return good.status();
    if (!*good) break;
    if (Status s = Replay(body, pos); !s.ok()) return s;
    pos += kWalFrameHeader + body.size();
    ++recovery_.frames;
  }
  if (pos < *size) {
    // Torn write or corruption? A torn tail has nothing valid after the bad frame.
    uint8_t h[kWalFrameHeader];
    Result<ByteSpan> hs = reader_->Read(pos, std::min<uint64_t>(kWalFrameHeader, *size - pos), h);
    if (!hs.ok()) return hs.status();
    if (hs->size() == kWalFrameHeader) {
      uint32_t len = LoadLE32(h);
      uint64_t next = pos + kWalFrameHeader + len;
      if (len >= kWalMinBody && len <= kWalMaxBody && next < *size) {
        Result<bool> after = frame_at(next);
        if (!after.ok()) return after.status();
        if (*after) {
          return Status::Error("raft storage: " + path + " is corrupt at byte " +
                               std::to_string(pos) + " with valid frames after it");
        }
      }
    }
    recovery_.cut_bytes = *size - pos;
    if (Status s = env_->TruncateFile(path, pos); !s.ok()) return s;
  }
  size_ = pos;
  recovery_.valid_bytes = pos;
  if (hard_state_.commit > LastIndex()) {
    return Status::Error("raft storage: " + path + ": commit index beyond the log");
  }
  Result<std::unique_ptr<log::WritableFile>> wal = env_->NewAppendableFile(path);
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  if (recovery_.cut_bytes) return wal_->Sync();  // make the cut durable
  return Status::Ok();
}

Status RaftDiskStorage::Replay(ByteSpan body, uint64_t position) {
  if (body[0] == kKindHardState && body.size() == kWalHardStateBody) {
    hard_state_ = {LoadLE64(body.data() + 4), LoadLE64(body.data() + 12),
                   LoadLE64(body.data() + 20)};
    return Status::Ok();
  }
  if (body[0] != kKindEntry || body[1] > uint8_t(raft::EntryType::kMembership)) {
    return Status::Error("raft storage: wal frame of unknown kind");
  }
  raft::Index index = LoadLE64(body.data() + 12);
  if (index < 1 || index > LastIndex() + 1) {
    return Status::Error("raft storage: wal entry " + std::to_string(index) + " leaves a gap");
  }
  slots_.resize(index - 1);
  slots_.push_back(Slot{LoadLE64(body.data() + 4), raft::EntryType(body[1]), position,
                        uint32_t(body.size() - kWalEntryBodyHeader)});
  return Status::Ok();
}

Result<raft::InitialState> RaftDiskStorage::LoadInitialState() const {
  return raft::InitialState{hard_state_, bootstrap_};
}

Result<raft::Term> RaftDiskStorage::TermAt(raft::Index i) const {
  assert(i <= LastIndex());
  return i == 0 ? raft::Term{0} : slots_[i - 1].term;
}

Result<raft::Entry> RaftDiskStorage::ReadEntry(raft::Index i) const {
  const Slot& s = slots_[i - 1];
  raft::Entry e{s.term, i, s.type, Bytes(s.data_size)};
  if (s.data_size == 0) return e;
  uint64_t at = s.position + kWalFrameHeader + kWalEntryBodyHeader;
  Result<ByteSpan> r = reader_->Read(at, s.data_size, e.data.data());
  if (!r.ok()) return r.status();
  if (r->size() != s.data_size) return Status::Error("raft storage: wal shorter than its index");
  return e;
}

Result<std::vector<raft::Entry>> RaftDiskStorage::Entries(raft::Index lo, raft::Index hi,
                                                          uint64_t max_bytes) const {
  assert(lo >= 1 && lo < hi && hi <= LastIndex() + 1);
  std::vector<raft::Entry> out;
  uint64_t bytes = 0;
  for (raft::Index i = lo; i < hi; ++i) {
    bytes += slots_[i - 1].data_size;
    if (!out.empty() && bytes > max_bytes) break;
    Result<raft::Entry> e = ReadEntry(i);
    if (!e.ok()) return e.status();
    out.push_back(std::move(*e));
  }
  return out;
}

void RaftDiskStorage::AddFrame(ByteSpan body, Bytes* out) {
  size_t at = out->size();
  out->resize(at + kWalFrameHeader + body.size());
  StoreLE32(out->data() + at, uint32_t(body.size()));
  StoreLE32(out->data() + at + 4, log::Crc32c(body));
  std::memcpy(out->data() + at + kWalFrameHeader, body.data(), body.size());
}

Status RaftDiskStorage::Write(ByteSpan frames) {
  if (failed_) return Status::Error("raft storage: an earlier write failed; reopen to recover");
  if (Status s = wal_->Append(frames); !s.ok()) {
    failed_ = true;
    return s;
  }
  size_ += frames.size();
  return Status::Ok();
}

Status RaftDiskStorage::Append(std::span<const raft::Entry> entries) {
  if (entries.empty()) return Status::Ok();
  raft::Index first = entries.front().index;
  if (first < 1 || first > LastIndex() + 1) {
    return Status::Error("raft storage: append leaves a gap");
  }
  // One write for all the frames; the index changes only once it succeeded.
  Bytes frames;
  std::vector<Slot> added;
  added.reserve(entries.size());
  for (size_t k = 0; k < entries.size(); ++k) {
    const raft::Entry& e = entries[k];
    assert(e.index == first + k && e.data.size() <= kWalMaxBody - kWalEntryBodyHeader);
    added.push_back(Slot{e.term, e.type, size_ + frames.size(), uint32_t(e.data.size())});
    AddFrame(EntryBody(e), &frames);
  }
  if (Status s = Write(frames); !s.ok()) return s;
  slots_.resize(first - 1);
  slots_.insert(slots_.end(), added.begin(), added.end());
  return Status::Ok();
}

Status RaftDiskStorage::SetHardState(const raft::HardState& hs) {
  if (hs == hard_state_) return Status::Ok();
  Bytes frame;
  AddFrame(HardStateBody(hs), &frame);
  if (Status s = Write(frame); !s.ok()) return s;
  hard_state_ = hs;
  return Status::Ok();
}

Status RaftDiskStorage::Sync() {
  if (failed_) return Status::Error("raft storage: an earlier write failed; reopen to recover");
  if (options_.sync == RaftSyncPolicy::kNever) return Status::Ok();
  if (Status s = wal_->Sync(); !s.ok()) {
    failed_ = true;
    return s;
  }
  return Status::Ok();
}

}  // namespace dlog::replica
