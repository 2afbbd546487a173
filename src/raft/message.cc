#include "raft/message.h"

#include <cassert>

#include "raft/membership.h"

namespace dlog::raft {
namespace {

constexpr uint8_t kFlagReject = 1;

bool IsResponse(MessageType t) {
  return t == MessageType::kAppendResponse || t == MessageType::kVoteResponse ||
         t == MessageType::kPreVoteResponse || t == MessageType::kHeartbeatResponse;
}

bool KnownType(uint8_t t) {
  return t >= uint8_t(MessageType::kAppend) && t <= uint8_t(MessageType::kHeartbeatResponse);
}

void PutEntry(uint8_t* p, const Entry& e) {
  StoreLE64(p, e.term);
  StoreLE64(p + 8, e.index);
  p[16] = uint8_t(e.type);
  p[17] = p[18] = p[19] = 0;
  StoreLE32(p + 20, uint32_t(e.data.size()));
  if (!e.data.empty()) std::memcpy(p + kEntryHeaderSize, e.data.data(), e.data.size());
}

Status CheckEntry(const Message& m, const Entry& e, Term prev_term, Index want_index) {
  if (e.index != want_index) return Status::Error("raft message: entries not consecutive");
  if (e.term == 0 || e.term < prev_term || e.term > m.term) {
    return Status::Error("raft message: entry term out of order");
  }
  if (e.type == EntryType::kMembership && !Membership::Decode(e.data).ok()) {
    return Status::Error("raft message: bad membership entry");
  }
  return Status::Ok();
}

// Reads entry k at *pos, advancing it; checks it against the message.
Result<Entry> TakeEntry(ByteSpan wire, size_t* pos, const Message& m, Term prev_term,
                        Index want_index) {
  if (wire.size() - *pos < kEntryHeaderSize) return Status::Error("raft message: truncated");
  const uint8_t* p = wire.data() + *pos;
  Entry e;
  e.term = LoadLE64(p);
  e.index = LoadLE64(p + 8);
  if (p[16] > uint8_t(EntryType::kMembership) || p[17] || p[18] || p[19]) {
    return Status::Error("raft message: bad entry type");
  }
  e.type = EntryType(p[16]);
  uint32_t len = LoadLE32(p + 20);
  if (len > kMaxEntryDataBytes || wire.size() - *pos - kEntryHeaderSize < len) {
    return Status::Error("raft message: bad entry length");
  }
  e.data.assign(p + kEntryHeaderSize, p + kEntryHeaderSize + len);
  *pos += kEntryHeaderSize + len;
  if (Status s = CheckEntry(m, e, prev_term, want_index); !s.ok()) return s;
  return e;
}

Result<Message> DecodeHeader(ByteSpan wire, uint32_t* count) {
  if (wire.size() < kMessageHeaderSize) return Status::Error("raft message: truncated");
  if (wire.size() > kMaxMessageBytes) return Status::Error("raft message: too large");
  const uint8_t* p = wire.data();
  if (p[0] != kMessageVersion) return Status::Error("raft message: unknown version");
  if (!KnownType(p[1])) return Status::Error("raft message: unknown type");
  Message m;
  m.type = MessageType(p[1]);
  if ((p[2] & ~kFlagReject) || p[3] || ((p[2] & kFlagReject) && !IsResponse(m.type))) {
    return Status::Error("raft message: bad flags");
  }
  m.reject = p[2] & kFlagReject;
  *count = LoadLE32(p + 4);
  m.from = LoadLE64(p + 8);
  m.to = LoadLE64(p + 16);
  m.term = LoadLE64(p + 24);
  m.log_term = LoadLE64(p + 32);
  m.index = LoadLE64(p + 40);
  m.commit = LoadLE64(p + 48);
  m.reject_hint = LoadLE64(p + 56);
  if (m.from == kNoNode || m.to == kNoNode || m.term == 0) {
    return Status::Error("raft message: missing sender, receiver or term");
  }
  if (m.log_term > m.term) return Status::Error("raft message: log term after term");
  if (*count > kMaxEntriesPerMessage || (*count && m.type != MessageType::kAppend) ||
      m.index > UINT64_MAX - *count) {
    return Status::Error("raft message: bad entry count");
  }
  return m;
}

}  // namespace

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kAppend:
      return "Append";
    case MessageType::kAppendResponse:
      return "AppendResponse";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResponse:
      return "VoteResponse";
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResponse:
      return "PreVoteResponse";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResponse:
      return "HeartbeatResponse";
  }
  return "?";
}

size_t EncodedSize(const Message& m) {
  size_t n = kMessageHeaderSize;
  for (const Entry& e : m.entries) n += EncodedEntrySize(e);
  return n;
}

Bytes EncodeMessage(const Message& m) {
  assert(m.entries.size() <= kMaxEntriesPerMessage);
  Bytes out(EncodedSize(m));
  assert(out.size() <= kMaxMessageBytes);
  uint8_t* p = out.data();
  p[0] = kMessageVersion;
  p[1] = uint8_t(m.type);
  p[2] = m.reject ? kFlagReject : 0;
  p[3] = 0;
  StoreLE32(p + 4, uint32_t(m.entries.size()));
  StoreLE64(p + 8, m.from);
  StoreLE64(p + 16, m.to);
  StoreLE64(p + 24, m.term);
  StoreLE64(p + 32, m.log_term);
  StoreLE64(p + 40, m.index);
  StoreLE64(p + 48, m.commit);
  StoreLE64(p + 56, m.reject_hint);
  size_t pos = kMessageHeaderSize;
  for (const Entry& e : m.entries) {
    PutEntry(p + pos, e);
    pos += EncodedEntrySize(e);
  }
  return out;
}

Result<Message> DecodeMessage(ByteSpan wire) {
  uint32_t count = 0;
  Result<Message> header = DecodeHeader(wire, &count);
  if (!header.ok()) return header;
  Message m = std::move(*header);
  m.entries.reserve(count);
  size_t pos = kMessageHeaderSize;
  Term prev_term = m.log_term;
  for (uint32_t k = 0; k < count; ++k) {
    Result<Entry> e = TakeEntry(wire, &pos, m, prev_term, m.index + 1 + k);
    if (!e.ok()) return e.status();
    prev_term = e->term;
    m.entries.push_back(std::move(*e));
  }
  if (pos != wire.size()) return Status::Error("raft message: trailing bytes");
  return m;
}

}  // namespace dlog::raft
