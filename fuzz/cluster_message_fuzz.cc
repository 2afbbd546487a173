// libFuzzer target: every parser of cluster messages, and a Node fed attacker bytes.
//
// Input layout:
//   byte 0     mode: 0 raw datagram to a node's underlay input; 1 raw datagram to its
//              mesh input from a live member; 2 body parsers (every Parse*/Decode*);
//              3 join request body sealed under a token the node holds (reaches the
//              admission code past the AEAD, as a token holder could); 4 state file
//   the rest   the bytes
//
// Invariants (a violation aborts): nothing crashes; everything a parser accepts
// re-encodes to the same bytes; an underlay datagram that is not a valid sealed
// JoinRequest gets no answer; every datagram the node emits is ≤ kMaxDatagramSize and
// a cluster datagram; a mesh datagram never changes the roster with an unsigned record.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "base/rng.h"
#include "cluster/envelope.h"
#include "cluster/messages.h"
#include "cluster/node.h"

using namespace dlog;
using namespace dlog::cluster;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

Now At(int64_t s) { return Now{TimePoint(std::chrono::seconds(s)), WallTime{s * 1'000'000'000}}; }

struct World {
  World() : rng(1) {
    NodeKeys k = GenerateNodeKeys(pq::Algorithm::kKyber768, rng, "node-a");
    node = std::make_unique<Node>(std::move(k), NodeOptions{}, std::nullopt, rng);
    Check(node->Bootstrap(GenerateClusterKeys(rng), At(1'750'000'000)).ok());
    token = *ParseToken(*node->CreateToken(Role::kNode, 1'760'000'000, 1, At(1'750'000'000)));
    member = GenerateNodeKeys(pq::Algorithm::kKyber768, rng, "node-b");
    eph = crypto::GeneratePrivateKey(rng);
    Check(node->AddMember(member.wg_public, "node-b", Role::kNode, At(1'750'000'000)).ok());
    node->TakeOutput();
  }
  SeededRng rng;
  std::unique_ptr<Node> node;
  JoinToken token;
  NodeKeys member;
  crypto::X25519Private eph;
};

void CheckOutput(const Output& o, bool may_answer) {
  Check(may_answer || o.underlay.empty());
  for (const auto& d : o.underlay)
    Check(d.bytes.size() <= kMaxDatagramSize && IsClusterDatagram(d.bytes));
  for (const auto& d : o.mesh)
    Check(d.bytes.size() <= kMaxDatagramSize && IsClusterDatagram(d.bytes));
}

void Parsers(ByteSpan b) {
  if (auto f = ParseFragment(b)) Check(f->index < f->count);
  if (auto r = ParseJoinRequest(b)) Check(r->sealed.size() + 40 == b.size());
  if (auto d = ParseDigest(b)) Check(EncodeDigest(*d) == Bytes(b.begin(), b.end()));
  if (auto s = ParseSummary(b)) Check(EncodeSummary(*s) == Bytes(b.begin(), b.end()));
  if (auto d = ParseDelta(b)) Check(EncodeDelta(*d) == Bytes(b.begin(), b.end()));
  if (auto t = ParseTokenDelta(b)) Check(EncodeTokenDelta(*t) == Bytes(b.begin(), b.end()));
  ByteSpan in = b;
  if (auto m = DecodeMember(in)) {
    Bytes again;
    EncodeMember(*m, again);
    Check(again.size() + in.size() == b.size());
  }
  in = b;
  if (auto t = DecodeTokenRecord(in)) {
    Bytes again;
    EncodeTokenRecord(*t, again);
    Check(again.size() + in.size() == b.size());
  }
  JoinKey k;
  crypto::X25519Private eph;
  eph.data()[0] = 1;
  (void)OpenJoinAccept(k, eph, b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* w = new World();
  if (size < 1) return 0;
  const ByteSpan b(data + 1, size - 1);
  const Now now = At(1'750'000'100);
  wg::Endpoint from;
  from.addr = {192, 0, 2, 1};
  from.port = 51820;
  switch (data[0] % 5) {
    case 0: {
      const size_t before = w->node->ListMembers().size();
      w->node->OnUnderlayDatagram(from, b, now);
      CheckOutput(w->node->TakeOutput(), false);
      Check(w->node->ListMembers().size() == before);
      break;
    }
    case 1: {
      const auto before = w->node->ListMembers();
      w->node->OnMeshDatagram(w->member.wg_public, b, now);
      CheckOutput(w->node->TakeOutput(), false);
      Check(w->node->ListMembers().size() == before.size());
      break;
    }
    case 2:
      Parsers(b);
      break;
    case 3: {
      // A token holder's request whose plaintext is the fuzz bytes: reaches the
      // admission code past the AEAD. An answer is allowed (the bytes may be a valid
      // request); it must be well formed.
      PublicKey eph = crypto::PublicKeyOf(w->eph);
      const Bytes body = SealJoinRequestBytes(JoinKeyOf(w->token.secret), eph, w->token.id, b);
      for (auto& d : MakeFragments(MsgType::kJoinRequest, 1, body)) {
        w->node->OnUnderlayDatagram(from, d, now);
      }
      CheckOutput(w->node->TakeOutput(), true);
      break;
    }
    case 4:
      if (auto s = DecodeState(b); s.ok()) Check(EncodeState(*s) == Bytes(b.begin(), b.end()));
      break;
  }
  return 0;
}
