// libFuzzer target: the PQ exchange's parsing of attacker-chosen datagrams.
//
// Two exchanges, a (initiator, one InitHello outstanding) and b (responder), ML-KEM-768
// for speed. Input layout:
//   byte 0      mode: 0 raw datagram to b; 1 raw datagram to a;
//               2 body to b, fragmented and correctly maced (reaches the handshake
//                 code, as an attacker who knows b's public key could);
//               3 same, to a
//   byte 1      message type for modes 2/3 (mod 4: InitHello..EmptyData)
//   the rest    datagram or body (a body is fitted to the type's exact size)
//
// Invariants (a violation aborts): nothing crashes; no input from a non-peer makes b
// emit a PSK; a mac'd forgery never completes an exchange; every datagram b emits is a
// well-formed PQ datagram no larger than kMaxDatagramSize, and b only answers with a
// RespHello to an InitHello that authenticated (never here: the attacker is no peer).
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "base/rng.h"
#include "pq/exchange.h"
#include "pq/fragment.h"

using namespace dlog;
using namespace dlog::pq;

namespace {

constexpr Algorithm kAlg = Algorithm::kKyber768;

void Check(bool ok) {
  if (!ok) std::abort();
}

struct World {
  World() : rng_keys(1), ra(2), rb(3), labels(Labels::Make(kAlg)) {
    KemKeyPair ka = KemKeyGen(kAlg, rng_keys), kb = KemKeyGen(kAlg, rng_keys);
    pka = ka.ek;
    pkb = kb.ek;
    ExchangeOptions o;
    o.algorithm = kAlg;
    a = std::move(*Exchange::Create(pka, std::move(ka.dk), ra, o, now));
    b = std::move(*Exchange::Create(pkb, std::move(kb.dk), rb, o, now));
    ea.port = 1;
    eb.port = 2;
    Output out;
    PeerConfig to_b;
    to_b.public_key = pkb;
    to_b.endpoint = eb;
    Check(a->AddPeer(to_b, now, out).ok());
    out.Clear();
    a->Tick(now, out);  // a's InitHello is outstanding from here on
    // b's only peer is a stranger: nothing the fuzzer sends can come from a peer of b.
    KemKeyPair ks = KemKeyGen(kAlg, rng_keys);
    PeerConfig stranger;
    stranger.public_key = ks.ek;
    Check(b->AddPeer(stranger, now, out).ok());
  }
  SeededRng rng_keys, ra, rb;
  Labels labels;
  Bytes pka, pkb;
  TimePoint now{std::chrono::seconds(1)};
  std::unique_ptr<Exchange> a, b;
  wg::Endpoint ea, eb;
};

World& W() {
  static World* w = new World();
  return *w;
}

void CheckOutput(const Output& out) {
  for (const auto& d : out.datagrams) {
    Check(IsPqDatagram(d.bytes));
    Check(d.bytes.size() <= kMaxDatagramSize);
    Check(d.bytes[0] == uint8_t(MsgType::kCookieReply) || ParseFragment(d.bytes, kAlg));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  World& w = W();
  w.now += std::chrono::milliseconds(data[1]);
  const int mode = data[0] % 4;
  const ByteSpan payload(data + 2, size - 2);
  Exchange& to = mode % 2 == 0 ? *w.b : *w.a;
  const wg::Endpoint& from = mode % 2 == 0 ? w.ea : w.eb;
  std::vector<Bytes> datagrams;
  if (mode < 2) {
    datagrams.emplace_back(payload.begin(), payload.end());
  } else {
    const MsgType t = MsgType(uint8_t(MsgType::kInitHello) + data[1] % 4);
    Bytes body(payload.begin(), payload.end());
    body.resize(MessageSize(t, kAlg), 0);
    const Bytes& pk = mode == 2 ? w.pkb : w.pka;
    datagrams = MakeFragments(t, LoadLE32(body.data()), body, MacKeyFor(w.labels, pk));
  }
  const uint64_t done_a = w.a->counters().exchanges_completed;
  const uint64_t done_b = w.b->counters().exchanges_completed;
  const uint64_t resp_b = w.b->counters().resp_hellos_sent;
  for (const Bytes& d : datagrams) {
    Output out;
    to.HandleDatagram(from, d, w.now, out);
    CheckOutput(out);
    for (const PskUpdate& u : out.psk_updates) Check(u.source != PskSource::kExchange);
  }
  Output out;
  w.a->Tick(w.now, out);
  w.b->Tick(w.now, out);
  CheckOutput(out);
  Check(w.a->counters().exchanges_completed == done_a);
  Check(w.b->counters().exchanges_completed == done_b);
  Check(w.b->counters().resp_hellos_sent == resp_b);
  return 0;
}
