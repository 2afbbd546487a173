#include "cluster/member.h"

#include <gtest/gtest.h>

#include "base/rng.h"
#include "cluster/envelope.h"
#include "cluster/messages.h"
#include "cluster/roster.h"

namespace dlog::cluster {
namespace {

MemberRecord Sample(Rng& rng, const ClusterKeys& ck, uint32_t addr) {
  MemberRecord r;
  rng.Fill(r.key);
  r.version = 3;
  r.role = Role::kNode;
  r.overlay = addr;
  r.name = "node-x";
  wg::Endpoint e;
  e.addr = {192, 168, 1, 10};
  e.port = 51820;
  r.endpoints.push_back(e);
  r.pq_algorithm = pq::Algorithm::kKyber1024;
  r.pq_public_key = pq::GenerateKeyPair(pq::Algorithm::kKyber1024, rng).public_key;
  SignMember(ck, r);
  return r;
}

TEST(Member, EncodeDecodeVerify) {
  SeededRng rng(1);
  const ClusterKeys ck = GenerateClusterKeys(rng);
  const MemberRecord r = Sample(rng, ck, 0x0a000002);
  Bytes enc;
  EncodeMember(r, enc);
  ByteSpan in = enc;
  auto back = DecodeMember(in);
  ASSERT_TRUE(back);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(*back, r);
  EXPECT_TRUE(VerifyMember(ck.public_key, *back));
  MemberRecord forged = *back;
  forged.overlay = 0x0a000003;
  EXPECT_FALSE(VerifyMember(ck.public_key, forged));
  const ClusterKeys other = GenerateClusterKeys(rng);
  EXPECT_FALSE(VerifyMember(other.public_key, *back));
  for (size_t cut = 0; cut < enc.size(); cut += 7) {
    ByteSpan part(enc.data(), cut);
    EXPECT_FALSE(DecodeMember(part)) << cut;
  }
}

TEST(Member, SupersedesTombstoneThenVersionThenHash) {
  SeededRng rng(2);
  const ClusterKeys ck = GenerateClusterKeys(rng);
  MemberRecord a = Sample(rng, ck, 0x0a000002);
  MemberRecord b = a;
  b.version = a.version + 1;
  EXPECT_TRUE(Supersedes(b, a));
  EXPECT_FALSE(Supersedes(a, b));
  MemberRecord dead = a;
  dead.removed = true;  // lower version than b, still wins
  EXPECT_TRUE(Supersedes(dead, b));
  EXPECT_FALSE(Supersedes(b, dead));
  MemberRecord c = b;
  c.overlay = 0x0a000009;  // same version, different content: exactly one wins
  EXPECT_NE(Supersedes(b, c), Supersedes(c, b));
  EXPECT_EQ(Supersedes(b, c), EntrySupersedes(SummaryOf(b), SummaryOf(c)));
}

TEST(Roster, LowestFreeAndCollisions) {
  SeededRng rng(3);
  const ClusterKeys ck = GenerateClusterKeys(rng);
  Roster roster;
  MemberRecord a = Sample(rng, ck, 0x0a000001);
  MemberRecord b = Sample(rng, ck, 0x0a000002);
  MemberRecord c = Sample(rng, ck, 0x0a000002);  // collides with b
  roster.Merge(a);
  roster.Merge(b);
  EXPECT_EQ(*roster.LowestFree(0x0a000001, 0x0a0000fe), 0x0a000003u);
  EXPECT_TRUE(roster.Collisions().empty());
  roster.Merge(c);
  auto coll = roster.Collisions();
  ASSERT_EQ(coll.size(), 1u);
  EXPECT_EQ(coll[0], std::max(b.key, c.key));               // the greater key moves
  EXPECT_FALSE(roster.LowestFree(0x0a000001, 0x0a000002));  // full
}

TEST(Roster, FullPrefixAndTombstoneReuse) {
  SeededRng rng(4);
  const ClusterKeys ck = GenerateClusterKeys(rng);
  Roster roster;
  MemberRecord a = Sample(rng, ck, 0x0a000001);
  MemberRecord b = Sample(rng, ck, 0x0a000002);
  roster.Merge(a);
  roster.Merge(b);
  EXPECT_FALSE(roster.LowestFree(0x0a000001, 0x0a000002));
  b.removed = true;
  b.version++;
  roster.Merge(b);
  EXPECT_EQ(*roster.LowestFree(0x0a000001, 0x0a000002), 0x0a000002u);  // only as last resort
  EXPECT_EQ(*roster.LowestFree(0x0a000001, 0x0a000003), 0x0a000003u);
}

TEST(Roster, SummaryDrivesDeltas) {
  SeededRng rng(5);
  const ClusterKeys ck = GenerateClusterKeys(rng);
  Roster x, y;
  MemberRecord a = Sample(rng, ck, 1), b = Sample(rng, ck, 2);
  x.Merge(a);
  x.Merge(b);
  y.Merge(a);
  EXPECT_NE(x.Digest().hash, y.Digest().hash);
  auto newer = x.NewerThan(y.Summary());
  ASSERT_EQ(newer.size(), 1u);
  EXPECT_EQ(newer[0]->key, b.key);
  EXPECT_TRUE(y.TheyHaveNewer(x.Summary()));
  EXPECT_FALSE(x.TheyHaveNewer(y.Summary()));
  y.Merge(b);
  EXPECT_EQ(x.Digest().hash, y.Digest().hash);
}

TEST(Messages, MeshBodiesRoundTripAndRejectTrailingBytes) {
  SeededRng rng(6);
  const ClusterKeys ck = GenerateClusterKeys(rng);
  std::vector<MemberRecord> recs = {Sample(rng, ck, 1), Sample(rng, ck, 2)};
  Bytes d = EncodeDelta(recs);
  auto back = ParseDelta(d);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, recs);
  d.push_back(0);
  EXPECT_FALSE(ParseDelta(d));
  RosterSummary s{true, {SummaryOf(recs[0]), SummaryOf(recs[1])}};
  auto sb = ParseSummary(EncodeSummary(s));
  ASSERT_TRUE(sb);
  EXPECT_EQ(sb->entries, s.entries);
  EXPECT_TRUE(sb->want_reply);
  RosterDigest dg{{}, 5};
  dg.hash[0] = 9;
  auto db = ParseDigest(EncodeDigest(dg));
  ASSERT_TRUE(db);
  EXPECT_EQ(db->hash, dg.hash);
  EXPECT_EQ(db->count, 5u);
}

TEST(Envelope, FragmentsReassembleInAnyOrderWithBounds) {
  SeededRng rng(7);
  Bytes body(5000);
  rng.Fill(body);
  auto frags = MakeFragments(MsgType::kRosterDelta, 42, body);
  ASSERT_EQ(frags.size(), 5u);
  for (const auto& f : frags) EXPECT_LE(f.size(), kMaxDatagramSize);
  Reassembler r;
  Bytes out;
  const TimePoint t{};
  for (size_t i : {3u, 0u, 4u, 1u}) {
    auto f = ParseFragment(frags[i]);
    ASSERT_TRUE(f);
    EXPECT_FALSE(r.Add("a", *f, t, out));
  }
  EXPECT_FALSE(r.Add("a", *ParseFragment(frags[0]), t, out));  // duplicate
  EXPECT_TRUE(r.Add("a", *ParseFragment(frags[2]), t, out));
  EXPECT_EQ(out, body);
  EXPECT_EQ(r.pending(), 0u);
  // A JoinRequest may not span more than 2 datagrams.
  EXPECT_TRUE(MakeFragments(MsgType::kJoinRequest, 1, body).empty());
  Bytes forged = frags[0];
  forged[0] = uint8_t(MsgType::kJoinRequest);
  forged[3] = 5;
  EXPECT_FALSE(ParseFragment(forged));
  // Partial messages are bounded per source and expire.
  for (uint32_t id = 0; id < 10; ++id) {
    auto fr = MakeFragments(MsgType::kRosterDelta, id, body);
    r.Add("b", *ParseFragment(fr[0]), t, out);
  }
  EXPECT_EQ(r.pending(), kMaxReassemblyPerSource);
  r.Expire(t + kReassemblyTimeout);
  EXPECT_EQ(r.pending(), 0u);
}

}  // namespace
}  // namespace dlog::cluster
