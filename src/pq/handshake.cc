#include "pq/handshake.h"

#include <algorithm>

#include "crypto/aead.h"

namespace dlog::pq {

namespace {

constexpr uint8_t kEmpty[1] = {0};
const ByteSpan kNothing{kEmpty, 0};

uint32_t RandomSessionId(Rng& rng) { return rng.U32(); }

void PutSessionId(uint8_t* p, uint32_t sid) { StoreLE32(p, sid); }

// Mixes a session id the way it travels (4 bytes, little-endian).
void MixSessionId(ChainingKey& ck, uint32_t sid) {
  uint8_t b[4];
  StoreLE32(b, sid);
  ck.Mix(b);
}

// lhash("biscuit additional data", spkr, sidi, sidr)
Label BiscuitAd(const Context& c, uint32_t sidi, uint32_t sidr) {
  uint8_t si[4], sr[4];
  StoreLE32(si, sidi);
  StoreLE32(sr, sidr);
  return HashChain(c.labels.biscuit_ad, {c.me.spk, si, sr});
}

SessionKeys EnterLive(const Labels& l, const ChainingKey& ck) {
  return {ck.Extract(l.wireguard_psk), ck.Extract(l.ini_enc), ck.Extract(l.res_enc)};
}

// store_biscuit(): writes nonce ‖ XAEAD(pidi ‖ biscuit_no ‖ ck) and mixes it.
void StoreBiscuit(const Context& c, ChainingKey& ck, const PeerKeys& peer, uint32_t sidi,
                  uint32_t sidr, BiscuitKeys& keys, uint8_t* out) {
  Secret<kBiscuitPlainSize> pt;
  std::copy(peer.pid.begin(), peer.pid.end(), pt.data());
  StoreLE64(pt.data() + kPeerIdSize, keys.NextNumber());
  std::copy(ck.value().data(), ck.value().data() + 32, pt.data() + kPeerIdSize + 8);
  c.rng.Fill({out, kXNonceSize});
  const Label ad = BiscuitAd(c, sidi, sidr);
  crypto::XChaChaPolySeal(keys.current().data(), out, pt.span(), ad, out + kXNonceSize);
  ck.Mix({out, kBiscuitSize});
}

// load_biscuit() without the mix: opens with the current or the previous key.
bool OpenBiscuit(const Context& c, const uint8_t* nct, uint32_t sidi, uint32_t sidr,
                 const BiscuitKeys& keys, Secret<kBiscuitPlainSize>& pt) {
  const Label ad = BiscuitAd(c, sidi, sidr);
  ByteSpan ct{nct + kXNonceSize, kBiscuitPlainSize + kTagSize};
  if (crypto::XChaChaPolyOpen(keys.current().data(), nct, ct, ad, pt.data())) return true;
  return keys.previous() &&
         crypto::XChaChaPolyOpen(keys.previous()->data(), nct, ct, ad, pt.data());
}

}  // namespace

Identity MakeIdentity(const Labels& labels, Algorithm a, Bytes spk, crypto::MlKemDecapsKey ssk) {
  Identity id{a, std::move(spk), std::move(ssk), {}, {}, {}};
  id.pid = HashChain(labels.peer_id, {id.spk});
  id.mac_key = HashChain(labels.mac, {id.spk});
  id.cookie_reply_key = HashChain(labels.cookie_key, {id.spk});
  return id;
}

PeerKeys MakePeerKeys(const Labels& labels, Bytes spk, const Key& psk) {
  PeerKeys p{std::move(spk), {}, {}, {}, psk};
  p.pid = HashChain(labels.peer_id, {p.spk});
  p.mac_key = HashChain(labels.mac, {p.spk});
  p.cookie_reply_key = HashChain(labels.cookie_key, {p.spk});
  return p;
}

BiscuitKeys::BiscuitKeys(Rng& rng, TimePoint now) : rotated_(now) { rng.Fill(current_.span()); }

void BiscuitKeys::MaybeRotate(Rng& rng, TimePoint now) {
  if (now < NextRotation()) return;
  previous_ = current_;
  rng.Fill(current_.span());
  rotated_ = now;
}

// --- Initiator ---------------------------------------------------------------------

Result<InitiatorHandshake> CreateInitHello(const Context& c, const PeerKeys& peer, Bytes& msg) {
  const Algorithm a = c.algorithm;
  msg.assign(MessageSize(MsgType::kInitHello, a), 0);
  InitHelloView<uint8_t> v = ViewInitHello(msg.data(), a);
  InitiatorHandshake hs{RandomSessionId(c.rng), 0, ChainingKey(c.labels, peer.spk),  // IHI1
                        KemKeyGen(a, c.rng)};                                        // IHI3
  PutSessionId(v.sidi, hs.sidi);                                                     // IHI2
  std::copy(hs.eph.ek.begin(), hs.eph.ek.end(), v.epki);
  hs.ck.Mix({v.sidi, 4});  // IHI4
  hs.ck.Mix(hs.eph.ek);
  if (Status s = hs.ck.EncapsAndMix(a, peer.spk, c.rng, v.sctr); !s.ok()) return s;  // IHI5
  hs.ck.EncryptAndMix(c.me.pid, v.pidic);                                            // IHI6
  hs.ck.Mix(c.me.spk);                                                               // IHI7
  hs.ck.Mix(peer.psk.span());
  hs.ck.EncryptAndMix(kNothing, v.auth);  // IHI8
  return hs;
}

bool ConsumeRespHello(const Context& c, ByteSpan msg, InitiatorHandshake& hs) {
  const Algorithm a = c.algorithm;
  const KemSizes z = SizesOf(a);
  RespHelloView<const uint8_t> v = ViewRespHello(msg.data(), a);
  ChainingKey ck = hs.ck;
  ck.Mix({v.sidr, 4});  // RHI3
  ck.Mix({v.sidi, 4});
  if (!ck.DecapsAndMix(a, hs.eph.dk.span(), hs.eph.ek, {v.ecti, z.ct}).ok())  // RHI4
    return false;
  if (!ck.DecapsAndMix(a, c.me.ssk.span(), c.me.spk, {v.scti, z.ct}).ok())  // RHI5
    return false;
  ck.Mix({v.biscuit, kBiscuitSize});                                 // RHI6
  if (!ck.DecryptAndMix({v.auth, kTagSize}, nullptr)) return false;  // RHI7
  hs.ck = ck;
  hs.sidr = LoadLE32(v.sidr);
  return true;
}

SessionKeys CreateInitConf(const Context& c, InitiatorHandshake& hs, ByteSpan resp_hello,
                           Bytes& msg) {
  msg.assign(MessageSize(MsgType::kInitConf, c.algorithm), 0);
  InitConfView<uint8_t> v = ViewInitConf(msg.data());
  PutSessionId(v.sidi, hs.sidi);
  PutSessionId(v.sidr, hs.sidr);
  const uint8_t* biscuit = ViewRespHello(resp_hello.data(), c.algorithm).biscuit;
  std::copy(biscuit, biscuit + kBiscuitSize, v.biscuit);
  MixSessionId(hs.ck, hs.sidi);  // ICI3
  MixSessionId(hs.ck, hs.sidr);
  hs.ck.EncryptAndMix(kNothing, v.auth);  // ICI4
  return EnterLive(c.labels, hs.ck);      // ICI7
}

bool ConsumeEmptyData(ByteSpan msg, uint32_t sidi, const SessionKeys& keys) {
  EmptyDataView<const uint8_t> v = ViewEmptyData(msg.data());
  if (LoadLE32(v.sid) != sidi || LoadLE64(v.ctr) != 0) return false;
  uint8_t none[1];
  return crypto::ChaChaPolyOpen(keys.txkr.data(), 0, {v.auth, kTagSize}, {}, none);
}

// --- Responder ---------------------------------------------------------------------

std::optional<ResponderHello> ConsumeInitHello(const Context& c, ByteSpan msg,
                                               const PeerLookup& lookup, Failure& failure) {
  const Algorithm a = c.algorithm;
  const KemSizes z = SizesOf(a);
  InitHelloView<const uint8_t> v = ViewInitHello(msg.data(), a);
  ResponderHello h{nullptr, ChainingKey(c.labels, c.me.spk), LoadLE32(v.sidi)};  // IHR1
  h.ck.Mix({v.sidi, 4});                                                         // IHR4
  h.ck.Mix({v.epki, z.ek});
  if (!h.ck.DecapsAndMix(a, c.me.ssk.span(), c.me.spk, {v.sctr, z.ct}).ok()) {  // IHR5
    failure = Failure::kBadKey;
    return std::nullopt;
  }
  Label pidi;
  if (!h.ck.DecryptAndMix({v.pidic, kPeerIdSize + kTagSize}, pidi.data())) {  // IHR6
    failure = Failure::kAuth;
    return std::nullopt;
  }
  h.peer = lookup(pidi);
  if (!h.peer) {
    failure = Failure::kUnknownPeer;
    return std::nullopt;
  }
  h.ck.Mix(h.peer->spk);  // IHR7
  h.ck.Mix(h.peer->psk.span());
  if (!h.ck.DecryptAndMix({v.auth, kTagSize}, nullptr)) {  // IHR8
    failure = Failure::kAuth;
    return std::nullopt;
  }
  return h;
}

Status CreateRespHello(const Context& c, ResponderHello& h, ByteSpan init_hello,
                       BiscuitKeys& biscuits, Bytes& msg) {
  const Algorithm a = c.algorithm;
  const KemSizes z = SizesOf(a);
  msg.assign(MessageSize(MsgType::kRespHello, a), 0);
  RespHelloView<uint8_t> v = ViewRespHello(msg.data(), a);
  const uint32_t sidr = RandomSessionId(c.rng);  // RHR1
  PutSessionId(v.sidr, sidr);
  PutSessionId(v.sidi, h.sidi);
  h.ck.Mix({v.sidr, 4});  // RHR3
  h.ck.Mix({v.sidi, 4});
  ByteSpan epki{ViewInitHello(init_hello.data(), a).epki, z.ek};
  if (Status s = h.ck.EncapsAndMix(a, epki, c.rng, v.ecti); !s.ok()) return s;         // RHR4
  if (Status s = h.ck.EncapsAndMix(a, h.peer->spk, c.rng, v.scti); !s.ok()) return s;  // RHR5
  StoreBiscuit(c, h.ck, *h.peer, h.sidi, sidr, biscuits, v.biscuit);                   // RHR6
  h.ck.EncryptAndMix(kNothing, v.auth);                                                // RHR7
  return Status::Ok();
}

std::optional<ResponderConf> ConsumeInitConf(const Context& c, ByteSpan msg,
                                             const BiscuitKeys& biscuits, const PeerLookup& lookup,
                                             Failure& failure) {
  InitConfView<const uint8_t> v = ViewInitConf(msg.data());
  ResponderConf r;
  r.sidi = LoadLE32(v.sidi);
  r.sidr = LoadLE32(v.sidr);
  Secret<kBiscuitPlainSize> pt;
  if (!OpenBiscuit(c, v.biscuit, r.sidi, r.sidr, biscuits, pt)) {  // ICR1
    failure = Failure::kAuth;
    return std::nullopt;
  }
  Label pidi;
  std::copy(pt.data(), pt.data() + kPeerIdSize, pidi.begin());
  r.biscuit_no = LoadLE64(pt.data() + kPeerIdSize);
  r.peer = lookup(pidi);
  if (!r.peer) {
    failure = Failure::kUnknownPeer;
    return std::nullopt;
  }
  ChainingKey ck(c.labels, Key(std::span<const uint8_t, 32>(pt.data() + kPeerIdSize + 8, 32)));
  ck.Mix({v.biscuit, kBiscuitSize});
  uint8_t rh_auth[kTagSize];
  ck.EncryptAndMix(kNothing, rh_auth);  // ICR2
  MixSessionId(ck, r.sidi);             // ICR3
  MixSessionId(ck, r.sidr);
  if (!ck.DecryptAndMix({v.auth, kTagSize}, nullptr)) {  // ICR4
    failure = Failure::kAuth;
    return std::nullopt;
  }
  r.keys = EnterLive(c.labels, ck);  // ICR7
  return r;
}

Bytes CreateEmptyData(uint32_t sidi, const SessionKeys& keys) {
  Bytes msg(MessageSize(MsgType::kEmptyData, Algorithm::kKyber1024), 0);
  EmptyDataView<uint8_t> v = ViewEmptyData(msg.data());
  StoreLE32(v.sid, sidi);
  StoreLE64(v.ctr, 0);
  crypto::ChaChaPolySeal(keys.txkr.data(), 0, kNothing, {}, v.auth);
  return msg;
}

}  // namespace dlog::pq
