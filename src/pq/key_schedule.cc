#include "pq/key_schedule.h"

#include "crypto/aead.h"
#include "crypto/blake2s.h"

namespace dlog::pq {

void KeyedHash(uint8_t out[32], ByteSpan key, ByteSpan data) { crypto::Hmac(out, key, data); }

Label HashChain(const Label& label, std::initializer_list<ByteSpan> parts) {
  Label acc = label;
  for (ByteSpan p : parts) KeyedHash(acc.data(), acc, p);
  return acc;
}

Labels Labels::Make(Algorithm a) {
  Labels l;
  const std::string kem = AlgorithmStandardName(a);
  l.protocol = "dlog-pq 1 rosenpass-style aead=chachapoly1305 hash=hmac-blake2s ekem=" + kem +
               " skem=" + kem + " xaead=xchachapoly1305 frag=v1";
  Label root{};
  KeyedHash(root.data(), Label{}, AsBytes(l.protocol));
  auto lhash = [&](std::initializer_list<std::string_view> parts) {
    Label acc = root;
    for (std::string_view p : parts) KeyedHash(acc.data(), acc, AsBytes(p));
    return acc;
  };
  l.mac = lhash({"mac"});
  l.cookie = lhash({"cookie"});
  l.cookie_value = lhash({"cookie-value"});
  l.cookie_key = lhash({"cookie-key"});
  l.peer_id = lhash({"peer id"});
  l.biscuit_ad = lhash({"biscuit additional data"});
  l.ck_init = lhash({"chaining key init"});
  l.mix = lhash({"chaining key extract", "mix"});
  l.hs_enc = lhash({"chaining key extract", "handshake encryption"});
  l.ini_enc = lhash({"chaining key extract", "initiator session encryption"});
  l.res_enc = lhash({"chaining key extract", "responder session encryption"});
  l.wireguard_psk = lhash({"chaining key extract", "user", "dlog", "wireguard psk"});
  return l;
}

ChainingKey::ChainingKey(const Labels& labels, ByteSpan spkr) : labels_(&labels) {
  KeyedHash(ck_.data(), labels.ck_init, spkr);
}

Key ChainingKey::Extract(const Label& label) const {
  Key k;
  KeyedHash(k.data(), ck_.span(), label);
  return k;
}

void ChainingKey::Mix(ByteSpan d) {
  Key m = Extract(labels_->mix);
  KeyedHash(ck_.data(), m.span(), d);
}

void ChainingKey::EncryptAndMix(ByteSpan pt, uint8_t* ct) {
  Key k = Extract(labels_->hs_enc);
  crypto::ChaChaPolySeal(k.data(), 0, pt, {}, ct);
  Mix({ct, pt.size() + crypto::kAeadTagSize});
}

bool ChainingKey::DecryptAndMix(ByteSpan ct, uint8_t* pt) {
  Key k = Extract(labels_->hs_enc);
  uint8_t none[1];
  if (!crypto::ChaChaPolyOpen(k.data(), 0, ct, {}, pt ? pt : none)) return false;
  Mix(ct);
  return true;
}

Status ChainingKey::EncapsAndMix(Algorithm a, ByteSpan pk, Rng& rng, uint8_t* ct) {
  SharedKey shk;
  if (Status s = KemEncaps(a, pk, rng, ct, shk); !s.ok()) return s;
  Mix(pk);
  Mix({ct, SizesOf(a).ct});
  Mix(shk.span());
  return Status::Ok();
}

Status ChainingKey::DecapsAndMix(Algorithm a, ByteSpan sk, ByteSpan pk, ByteSpan ct) {
  SharedKey shk;
  if (Status s = KemDecaps(a, sk, ct, shk); !s.ok()) return s;
  Mix(pk);
  Mix(ct);
  Mix(shk.span());
  return Status::Ok();
}

}  // namespace dlog::pq
