// The envelope of every cluster datagram, and reassembly of multi-datagram messages.
//
//    0        1        2        3
//   +--------+--------+--------+--------+
//   |  type  |version | index  | count  |   type 0x91..0x96, version 1,
//   +--------+--------+--------+--------+   index < count <= MaxFragments(type)
//   |          msg_id (LE32)            |   random per message
//   +--------+--------+--------+--------+
//   |  chunk: body[index·1192, …)       |   exactly 1192 bytes except in the last one,
//   +-----------------------------------+   which holds 1..1192
//
// The envelope authenticates nothing: join bodies are AEAD-sealed and signed
// (messages.h), mesh messages arrive through an authenticated tunnel.
//
// Reassembler: partial messages keyed by (source, msg_id); at most
// kMaxReassemblyPerSource per source and kMaxReassemblyTotal in all (the oldest is
// evicted), each dropped kReassemblyTimeout after its first fragment. Not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "cluster/constants.h"

namespace dlog::cluster {

struct Fragment {
  MsgType type;
  uint8_t index;
  uint8_t count;
  uint32_t msg_id;
  ByteSpan chunk;
};

size_t MaxFragments(MsgType type);
bool IsKnownType(uint8_t type);
bool IsMeshType(MsgType type);

// Splits `body` (1 .. MaxFragments(type)·kMaxChunkSize bytes) into datagrams.
std::vector<Bytes> MakeFragments(MsgType type, uint32_t msg_id, ByteSpan body);
std::optional<Fragment> ParseFragment(ByteSpan datagram);

class Reassembler {
 public:
  // Adds a fragment; true with `body` set when it completed a message. Duplicates and
  // fragments that disagree with their message's count are dropped (false).
  bool Add(const std::string& source, const Fragment& f, TimePoint now, Bytes& body);
  void Expire(TimePoint now);
  TimePoint NextDeadline() const;
  size_t pending() const { return entries_.size(); }
  uint64_t evicted() const { return evicted_; }

 private:
  struct Entry {
    std::string source;
    uint32_t msg_id;
    MsgType type;
    uint8_t count;
    uint64_t received_mask;
    size_t last_size;
    Bytes buf;
    TimePoint first_seen;
  };
  void EvictOldest(const std::string* source);
  std::vector<Entry> entries_;
  uint64_t evicted_ = 0;
};

}  // namespace dlog::cluster
