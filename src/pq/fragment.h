// The fragment envelope: every PQ datagram except CookieReply is one fragment of a
// message body (pq/messages.h), so no message depends on IP fragmentation.
//
//    0        1        2        3
//   +--------+--------+--------+--------+
//   |  type  |version | index  | count  |   type 0x81..0x84, version 1,
//   +--------+--------+--------+--------+   index < count <= 4
//   |          msg_id (LE32)            |   random per message, kept on retransmission
//   +--------+--------+--------+--------+
//   |  chunk: body[index·1176, …)       |   exactly 1176 bytes except in the last one
//   +-----------------------------------+
//   |  mac (16)                         |   hash(hash(lhash("mac"), spk_recipient),
//   |                                   |        header ‖ chunk)[0..16]
//   +-----------------------------------+
//   |  cookie (16)                      |   hash(hash(lhash("cookie"), cookie_value),
//   |                                   |        header ‖ chunk ‖ mac)[0..16], or zeros
//   +-----------------------------------+
//
// The mac proves that the sender knows the recipient's public key and binds the fragment
// to that recipient (a misdirected fragment fails it); it is checked before a fragment is
// stored. Each fragment carries the envelope so that, under load, every fragment of an
// InitHello can be held to the cookie check before it takes reassembly memory.
//
// Reassembler: bounded buffers of partial messages keyed by (source, msg_id); at most
// kMaxReassemblyPerSource per source and kMaxReassemblyTotal in all (the oldest is
// evicted), each dropped kReassemblyTimeout after its first fragment. Not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "pq/constants.h"
#include "pq/key_schedule.h"
#include "pq/messages.h"
#include "wg/endpoint.h"

namespace dlog::pq {

using CookieValue = ByteArray<kCookieSize>;

struct Fragment {
  MsgType type;
  uint8_t index;
  uint8_t count;
  uint32_t msg_id;
  ByteSpan chunk;
};

// Number of fragments a body of `size` bytes takes.
constexpr size_t FragmentCount(size_t size) { return (size + kMaxChunkSize - 1) / kMaxChunkSize; }

// mac key for messages to the holder of `spk`: hash(lhash("mac"), spk).
Label MacKeyFor(const Labels& labels, ByteSpan spk);

// Splits `body` into datagrams with macs under `mac_key` and zero cookies.
std::vector<Bytes> MakeFragments(MsgType type, uint32_t msg_id, ByteSpan body,
                                 const Label& mac_key);
// Writes the cookie field of an enveloped datagram (zeros when `cookie` is nullopt).
void SetCookie(MutableByteSpan datagram, const Labels& labels,
               const std::optional<CookieValue>& cookie);

// Structural parse against the exact sizes of `a`: known type, version, index < count,
// count and chunk lengths those of the type's body. nullopt when anything is off.
std::optional<Fragment> ParseFragment(ByteSpan datagram, Algorithm a);
bool VerifyMac(ByteSpan datagram, const Label& mac_key);
bool VerifyCookie(ByteSpan datagram, const Labels& labels, const CookieValue& cookie);
// The mac field of an enveloped datagram (the AD of a CookieReply).
inline ByteSpan MacOf(ByteSpan datagram) {
  return datagram.subspan(datagram.size() - kFragmentTrailerSize, kMacSize);
}

class Reassembler {
 public:
  enum class Outcome { kComplete, kIncomplete, kDuplicate, kConflict };
  struct Stats {
    uint64_t evicted = 0;  // partial messages pushed out by the per-source or total bound
    uint64_t expired = 0;  // partial messages that timed out
  };

  // Adds a parsed, mac-verified fragment. On kComplete, `body` holds the whole message.
  Outcome Add(const wg::Endpoint& from, const Fragment& f, TimePoint now, Bytes& body);
  void Expire(TimePoint now);
  TimePoint NextDeadline() const;
  size_t pending() const { return entries_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    std::string source;
    uint32_t msg_id;
    MsgType type;
    uint8_t count;
    uint8_t received_mask;
    size_t size;  // body size, known from the last fragment (or the type)
    Bytes buf;
    TimePoint first_seen;
  };
  Entry* Find(const std::string& source, uint32_t msg_id);
  Entry& Insert(const std::string& source, const Fragment& f, TimePoint now);
  void EvictOldest(const std::string* source);

  std::vector<Entry> entries_;
  Stats stats_;
};

}  // namespace dlog::pq
