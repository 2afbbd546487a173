// Raft messages and their pinned wire encoding.
//
// Every message is one header followed by `count` entries (kAppend only). All integers
// are little-endian; reserved bytes are zero.
//
//   0        1        2        3        4                 8
//   +--------+--------+--------+--------+-----------------+
//   |version |  type  | flags  |reserved|  entry count    |   flags bit 0: reject
//   +--------+--------+--------+--------+-----------------+
//   |  8 from       | 16 to       | 24 term    | 32 log_term |
//   | 40 index      | 48 commit   | 56 reject_hint           |   (u64 each)
//   +------------------------------------------------------+ 64 = kMessageHeaderSize
//   entry: | term u64 | index u64 | type u8 | 3 reserved | data length u32 | data |
//
// Field use per type (unused fields are zero on the wire and rejected otherwise only
// where a non-zero value would be meaningless: entries, reject flag):
//   kAppend             log_term/index: the entry preceding `entries`; commit
//   kAppendResponse     index: last index matched (or the rejected prev index);
//                       reject, reject_hint + log_term: the follower's conflict hint
//   kVote, kPreVote     index/log_term: the candidate's last entry (§5.4.1, §9.6)
//   k(Pre)VoteResponse  reject
//   kHeartbeat          commit: min(follower's match, leader's commit)
//   kHeartbeatResponse  -
// Decoding rejects anything else: unknown versions or types, bad flags, wrong length,
// entries that are not consecutive from index + 1 or whose terms decrease or exceed term.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "raft/types.h"

namespace dlog::raft {

inline constexpr uint8_t kMessageVersion = 1;
inline constexpr size_t kMessageHeaderSize = 64;
inline constexpr size_t kEntryHeaderSize = 24;
inline constexpr size_t kMaxEntriesPerMessage = 4096;
inline constexpr size_t kMaxEntryDataBytes = 1 << 20;
inline constexpr size_t kMaxMessageBytes = 16 << 20;

enum class MessageType : uint8_t {
  kAppend = 1,
  kAppendResponse = 2,
  kVote = 3,
  kVoteResponse = 4,
  kPreVote = 5,
  kPreVoteResponse = 6,
  kHeartbeat = 7,
  kHeartbeatResponse = 8,
};

const char* MessageTypeName(MessageType type);

struct Message {
  MessageType type = MessageType::kHeartbeat;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  Term log_term = 0;
  Index index = 0;
  Index commit = 0;
  bool reject = false;
  Index reject_hint = 0;
  std::vector<Entry> entries;

  bool operator==(const Message&) const = default;
};

// A message of `type` to `to` in `term`, every other field zero (the sender is filled
// in when it is sent).
inline Message MakeMessage(MessageType type, NodeId to, Term term, bool reject = false) {
  Message m;
  m.type = type;
  m.to = to;
  m.term = term;
  m.reject = reject;
  return m;
}

// Encoded size of one entry (header and data).
inline size_t EncodedEntrySize(const Entry& e) { return kEntryHeaderSize + e.data.size(); }
size_t EncodedSize(const Message& m);

// Requires a message within the limits above (the core only builds such messages).
Bytes EncodeMessage(const Message& m);
Result<Message> DecodeMessage(ByteSpan wire);

}  // namespace dlog::raft
