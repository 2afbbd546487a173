#include "pq/exchange.h"

#include <algorithm>
#include <cstring>
#include <deque>

#include "crypto/blake2s.h"

namespace dlog::pq {

namespace {

using Digest = Label;

Digest DigestOf(ByteSpan body) {
  Digest d;
  crypto::Hash(d.data(), {body});
  return d;
}

struct Initiation {
  enum class Stage { kHello, kConf };
  Stage stage = Stage::kHello;
  InitiatorHandshake hs;
  SessionKeys keys;  // valid in kConf
  MsgType type = MsgType::kInitHello;
  uint32_t msg_id = 0;
  std::vector<Bytes> fragments;  // what we (re)send, cookie fields current
  TimePoint started;
  TimePoint conf_sent;  // when the stage became kConf
  TimePoint next_retransmit;
  TimePoint last_immediate;  // last out-of-schedule resend (collision fast path)
  Duration delay{};
};

// What the responder remembers of an InitHello it answered, keyed by its digest.
struct HelloRecord {
  PeerId peer;
  uint32_t sidi;
  TimePoint first_seen;
  bool completed;
};

bool ConfExpired(const Initiation& in, TimePoint now) {
  return in.stage == Initiation::Stage::kConf && now - in.conf_sent >= kInitConfAbort;
}

struct Peer {
  PeerId id;
  PeerKeys keys;
  WgPublicKey wg{};
  std::optional<wg::Endpoint> endpoint;
  // PSK policy.
  uint64_t epoch = 0;
  std::optional<TimePoint> last_exchange;
  bool has_pq_psk = false;
  TimePoint next_initiation;
  // Initiator.
  std::optional<Initiation> init;
  std::optional<CookieValue> cookie;
  TimePoint cookie_at;
  // Responder.
  uint64_t biscuit_floor = 0;  // refuse InitConfs with biscuit_no <= this
  struct LastConf {
    Digest digest;
    Bytes empty_data;
    TimePoint at;
  };
  std::optional<LastConf> last_conf;
  std::deque<Digest> hello_digests;  // at most kInitHelloMemory, oldest first
};

}  // namespace

struct Exchange::State {
  State(ExchangeOptions o, Rng& r, Bytes spk, crypto::MlKemDecapsKey ssk, TimePoint now)
      : opt(o),
        rng(r),
        labels(Labels::Make(o.algorithm)),
        me(MakeIdentity(labels, o.algorithm, std::move(spk), std::move(ssk))),
        biscuits(r, now),
        cookies(labels, me.cookie_reply_key, r, now),
        last_gc(now),
        load_window_start(now) {}

  Context ctx() { return Context{opt.algorithm, labels, me, rng}; }

  // --- plumbing ---
  Peer* FindPeer(PeerId id);
  const PeerKeys* LookupPid(const Label& pid);
  // The fragments of a message to `p`, with macs and (while we hold one) cookies.
  std::vector<Bytes> Frame(Peer& p, MsgType type, ByteSpan body, TimePoint now, uint32_t* msg_id);
  void Emit(const std::vector<Bytes>& fragments, const wg::Endpoint& to, Output& out);
  void ApplyCookie(Peer& p, std::vector<Bytes>& fragments, TimePoint now);
  Key RandomPsk();
  void EmitRandom(Peer& p, PskSource source, Output& out);
  void Install(Peer& p, const Key& osk, bool initiator, TimePoint now, Output& out);
  void NoteInitHello(TimePoint now);
  bool UnderLoad(TimePoint now) const;

  // --- initiator ---
  void StartInitiation(Peer& p, TimePoint now, Output& out);
  void Abandon(Peer& p);
  void Retransmit(Peer& p, TimePoint now, Output& out);
  void ScheduleRetransmit(Initiation& in, TimePoint now);
  void HandleRespHello(const wg::Endpoint& from, ByteSpan body, TimePoint now, Output& out);
  void HandleEmptyData(ByteSpan body, TimePoint now, Output& out);
  void HandleCookieReply(ByteSpan d, TimePoint now);

  // --- responder ---
  void HandleInitHello(const wg::Endpoint& from, ByteSpan body, TimePoint now, Output& out);
  bool ResolveCollision(Peer& p, TimePoint now, Output& out);
  void RememberHello(Peer& p, const Digest& d, uint32_t sidi, TimePoint now);
  void HandleInitConf(const wg::Endpoint& from, ByteSpan body, TimePoint now, Output& out);

  // --- envelope ---
  bool AdmitFragment(const wg::Endpoint& from, ByteSpan d, const Fragment& f, TimePoint now,
                     Output& out);
  void Dispatch(const wg::Endpoint& from, MsgType type, ByteSpan body, TimePoint now, Output& out);

  void TickPeer(Peer& p, TimePoint now, Output& out);
  TimePoint PeerDeadline(const Peer& p) const;
  Duration StaleAfter() const { return opt.rekey_interval * opt.stale_epochs; }

  ExchangeOptions opt;
  Rng& rng;
  Labels labels;
  Identity me;
  BiscuitKeys biscuits;
  CookieChecker cookies;
  Reassembler reassembler;
  wg::Ratelimiter ratelimiter;
  TimePoint last_gc;
  ExchangeCounters counters;
  LoadMode load_mode = LoadMode::kAuto;
  TimePoint load_window_start;
  uint32_t load_window_count = 0;
  TimePoint under_load_until{};
  PeerId next_id = 1;
  std::unordered_map<PeerId, std::unique_ptr<Peer>> peers;
  std::map<Label, PeerId> by_pid;
  std::unordered_map<uint32_t, PeerId> by_sidi;  // initiations in progress
  std::map<Digest, HelloRecord> hellos;          // bounded: kInitHelloMemory per peer
};

// --- plumbing -------------------------------------------------------------------------

Peer* Exchange::State::FindPeer(PeerId id) {
  auto it = peers.find(id);
  return it == peers.end() ? nullptr : it->second.get();
}

const PeerKeys* Exchange::State::LookupPid(const Label& pid) {
  auto it = by_pid.find(pid);
  return it == by_pid.end() ? nullptr : &peers.at(it->second)->keys;
}

void Exchange::State::ApplyCookie(Peer& p, std::vector<Bytes>& fragments, TimePoint now) {
  std::optional<CookieValue> c;
  if (p.cookie && now - p.cookie_at < kCookieValidTime) c = p.cookie;
  for (Bytes& f : fragments) SetCookie(f, labels, c);
}

std::vector<Bytes> Exchange::State::Frame(Peer& p, MsgType type, ByteSpan body, TimePoint now,
                                          uint32_t* msg_id) {
  const uint32_t id = rng.U32();
  std::vector<Bytes> frags = MakeFragments(type, id, body, p.keys.mac_key);
  ApplyCookie(p, frags, now);
  if (msg_id) *msg_id = id;
  return frags;
}

void Exchange::State::Emit(const std::vector<Bytes>& fragments, const wg::Endpoint& to,
                           Output& out) {
  for (const Bytes& f : fragments) out.datagrams.push_back({to, f});
}

Key Exchange::State::RandomPsk() {
  Key k;
  do rng.Fill(k.span());
  while (k.IsZero());
  return k;
}

void Exchange::State::EmitRandom(Peer& p, PskSource source, Output& out) {
  p.has_pq_psk = false;
  out.psk_updates.push_back({p.id, p.wg, RandomPsk(), source, p.epoch});
}

void Exchange::State::Install(Peer& p, const Key& osk, bool initiator, TimePoint now, Output& out) {
  ++p.epoch;
  p.last_exchange = now;
  p.has_pq_psk = true;
  p.biscuit_floor = biscuits.counter();
  Duration wait = opt.rekey_interval;
  if (!initiator) wait += opt.rekey_interval / kResponderRekeyDelayDivisor;
  p.next_initiation = now + wait;
  ++counters.exchanges_completed;
  out.psk_updates.push_back({p.id, p.wg, osk, PskSource::kExchange, p.epoch});
}

void Exchange::State::NoteInitHello(TimePoint now) {
  if (now - load_window_start >= std::chrono::seconds(1)) {
    load_window_start = now;
    load_window_count = 0;
  }
  if (++load_window_count > opt.under_load_init_hellos_per_second)
    under_load_until = now + kUnderLoadAfterTime;
}

bool Exchange::State::UnderLoad(TimePoint now) const {
  if (load_mode != LoadMode::kAuto) return load_mode == LoadMode::kForceUnderLoad;
  return now < under_load_until;
}

// --- initiator ------------------------------------------------------------------------

void Exchange::State::ScheduleRetransmit(Initiation& in, TimePoint now) {
  const Duration jitter = std::chrono::milliseconds(rng.Uniform(kRetransmitJitterMaxMs));
  in.next_retransmit = now + in.delay + jitter;
}

void Exchange::State::StartInitiation(Peer& p, TimePoint now, Output& out) {
  Bytes body;
  Result<InitiatorHandshake> hs = CreateInitHello(ctx(), p.keys, body);
  if (!hs.ok()) {  // only a peer key failing its check, which AddPeer already refused
    p.next_initiation = now + opt.rekey_interval;
    return;
  }
  if (by_sidi.count(hs->sidi)) {  // 2^-32: another initiation holds this sidi
    p.next_initiation = now + kRetransmitBegin;
    return;
  }
  Initiation in;
  in.hs = std::move(*hs);
  in.started = now;
  in.last_immediate = now;
  in.delay = kRetransmitBegin;
  in.fragments = Frame(p, MsgType::kInitHello, body, now, &in.msg_id);
  Emit(in.fragments, *p.endpoint, out);
  ScheduleRetransmit(in, now);
  by_sidi[in.hs.sidi] = p.id;
  p.init = std::move(in);
  ++counters.init_hellos_sent;
}

void Exchange::State::Abandon(Peer& p) {
  if (!p.init) return;
  by_sidi.erase(p.init->hs.sidi);
  p.init.reset();
  ++counters.initiations_abandoned;
}

void Exchange::State::Retransmit(Peer& p, TimePoint now, Output& out) {
  Initiation& in = *p.init;
  ApplyCookie(p, in.fragments, now);
  for (const Bytes& f : in.fragments) out.datagrams.push_back({*p.endpoint, f});
  ++counters.retransmissions;
}

void Exchange::State::HandleRespHello(const wg::Endpoint& from, ByteSpan body, TimePoint now,
                                      Output& out) {
  const uint32_t sidi = LoadLE32(ViewRespHello(body.data(), opt.algorithm).sidi);
  auto it = by_sidi.find(sidi);
  Peer* p = it == by_sidi.end() ? nullptr : FindPeer(it->second);
  if (!p || !p->init || p->init->stage != Initiation::Stage::kHello) {
    ++counters.unknown_session;
    return;
  }
  Initiation& in = *p->init;
  if (!ConsumeRespHello(ctx(), body, in.hs)) {
    ++counters.auth_failed;
    return;
  }
  Bytes conf;
  in.keys = CreateInitConf(ctx(), in.hs, body, conf);
  in.stage = Initiation::Stage::kConf;
  in.conf_sent = now;
  p->endpoint = from;
  in.type = MsgType::kInitConf;
  in.fragments = Frame(*p, MsgType::kInitConf, conf, now, &in.msg_id);
  Emit(in.fragments, from, out);
  in.delay = kRetransmitBegin;
  ScheduleRetransmit(in, now);
  ++counters.init_confs_sent;
}

void Exchange::State::HandleEmptyData(ByteSpan body, TimePoint now, Output& out) {
  const uint32_t sidi = LoadLE32(body.data());
  auto it = by_sidi.find(sidi);
  Peer* p = it == by_sidi.end() ? nullptr : FindPeer(it->second);
  if (!p || !p->init || p->init->stage != Initiation::Stage::kConf) {
    ++counters.unknown_session;
    return;
  }
  if (!ConsumeEmptyData(body, sidi, p->init->keys)) {
    ++counters.auth_failed;
    return;
  }
  const Key osk = p->init->keys.osk;
  by_sidi.erase(sidi);
  p->init.reset();
  Install(*p, osk, /*initiator=*/true, now, out);
}

void Exchange::State::HandleCookieReply(ByteSpan d, TimePoint now) {
  const std::optional<uint32_t> id = CookieReplyMsgId(d);
  Peer* target = nullptr;
  if (id)
    for (auto& [_, p] : peers)
      if (p->init && p->init->type == MsgType::kInitHello && p->init->msg_id == *id &&
          p->init->stage == Initiation::Stage::kHello)
        target = p.get();
  if (!target) {
    ++counters.bad_cookie_reply;
    return;
  }
  std::optional<CookieValue> c =
      OpenCookieReply(d, MacOf(target->init->fragments[0]), target->keys.cookie_reply_key);
  if (!c) {
    ++counters.bad_cookie_reply;
    return;
  }
  target->cookie = c;
  target->cookie_at = now;
  ++counters.cookies_received;
}

// --- responder ------------------------------------------------------------------------

// True when the InitHello from `p` must be dropped because our own initiation wins.
// An initiation already awaiting EmptyData always yields: the peer initiating instead of
// acknowledging means it lost our exchange (a restart) or its timer fired meanwhile; in
// both cases the peer's exchange completing last leaves both sides on its key.
bool Exchange::State::ResolveCollision(Peer& p, TimePoint now, Output& out) {
  if (!p.init) return false;
  const bool awaiting_ack = p.init->stage == Initiation::Stage::kConf;
  if (awaiting_ack || std::memcmp(me.pid.data(), p.keys.pid.data(), kPeerIdSize) > 0) {
    Abandon(p);  // and try again only if the other stalls
    p.next_initiation = now + kRetransmitMax;
    return false;
  }
  ++counters.collisions;
  if (now - p.init->last_immediate >= kRetransmitBegin) {
    p.init->last_immediate = now;
    Retransmit(p, now, out);
  }
  return true;
}

void Exchange::State::RememberHello(Peer& p, const Digest& d, uint32_t sidi, TimePoint now) {
  if (hellos.count(d)) return;
  if (p.hello_digests.size() >= kInitHelloMemory) {
    hellos.erase(p.hello_digests.front());
    p.hello_digests.pop_front();
  }
  hellos[d] = {p.id, sidi, now, false};
  p.hello_digests.push_back(d);
}

void Exchange::State::HandleInitHello(const wg::Endpoint& from, ByteSpan body, TimePoint now,
                                      Output& out) {
  const Digest digest = DigestOf(body);
  if (auto it = hellos.find(digest); it != hellos.end()) {
    if (it->second.completed || now - it->second.first_seen >= kRetransmitWindow) {
      ++counters.replayed;
      return;
    }
  }
  if (UnderLoad(now) && !ratelimiter.Allow(from, now)) {
    ++counters.rate_limited;
    return;
  }
  Failure failure = Failure::kNone;
  PeerLookup lookup = [this](const Label& pid) { return LookupPid(pid); };
  std::optional<ResponderHello> h = ConsumeInitHello(ctx(), body, lookup, failure);
  if (!h) {
    if (failure == Failure::kBadKey)
      ++counters.bad_key;
    else if (failure == Failure::kUnknownPeer)
      ++counters.unknown_peer;
    else
      ++counters.auth_failed;
    return;
  }
  Peer& p = *peers.at(by_pid.at(h->peer->pid));
  if (ResolveCollision(p, now, out)) return;
  Bytes resp;
  if (!CreateRespHello(ctx(), *h, body, biscuits, resp).ok()) {
    ++counters.bad_key;  // epki fails the encapsulation-key check
    return;
  }
  RememberHello(p, digest, h->sidi, now);
  Emit(Frame(p, MsgType::kRespHello, resp, now, nullptr), from, out);
  ++counters.resp_hellos_sent;
}

void Exchange::State::HandleInitConf(const wg::Endpoint& from, ByteSpan body, TimePoint now,
                                     Output& out) {
  Failure failure = Failure::kNone;
  PeerLookup lookup = [this](const Label& pid) { return LookupPid(pid); };
  std::optional<ResponderConf> r = ConsumeInitConf(ctx(), body, biscuits, lookup, failure);
  if (!r) {
    if (failure == Failure::kUnknownPeer)
      ++counters.unknown_peer;
    else
      ++counters.auth_failed;
    return;
  }
  Peer& p = *peers.at(by_pid.at(r->peer->pid));
  const Digest digest = DigestOf(body);
  if (p.last_conf && p.last_conf->digest == digest) {
    if (now - p.last_conf->at >= kRetransmitWindow) {
      ++counters.replayed;
      return;
    }
    out.datagrams.push_back({from, p.last_conf->empty_data});
    ++counters.retransmissions_answered;
    return;
  }
  if (r->biscuit_no <= p.biscuit_floor) {
    ++counters.replayed;
    return;
  }
  for (const Digest& d : p.hello_digests)
    if (HelloRecord& rec = hellos.at(d); rec.sidi == r->sidi) rec.completed = true;
  Bytes empty = CreateEmptyData(r->sidi, r->keys);
  std::vector<Bytes> frags = Frame(p, MsgType::kEmptyData, empty, now, nullptr);
  Emit(frags, from, out);
  ++counters.empty_datas_sent;
  p.last_conf = Peer::LastConf{digest, frags[0], now};
  p.endpoint = from;
  Install(p, r->keys.osk, /*initiator=*/false, now, out);
}

// --- envelope -------------------------------------------------------------------------

// Mac, and under load the cookie and its reply; true when the fragment may be stored.
bool Exchange::State::AdmitFragment(const wg::Endpoint& from, ByteSpan d, const Fragment& f,
                                    TimePoint now, Output& out) {
  if (!VerifyMac(d, me.mac_key)) {
    ++counters.bad_mac;
    return false;
  }
  if (f.type == MsgType::kInitHello && f.index == 0) NoteInitHello(now);
  if (f.type != MsgType::kInitHello || !UnderLoad(now) || cookies.Check(d, from)) return true;
  ++counters.cookie_required;
  if (f.index == 0) {
    out.datagrams.push_back({from, cookies.MakeReply(d, from, rng)});
    ++counters.cookie_replies_sent;
  }
  return false;
}

void Exchange::State::Dispatch(const wg::Endpoint& from, MsgType type, ByteSpan body, TimePoint now,
                               Output& out) {
  switch (type) {
    case MsgType::kInitHello:
      return HandleInitHello(from, body, now, out);
    case MsgType::kRespHello:
      return HandleRespHello(from, body, now, out);
    case MsgType::kInitConf:
      return HandleInitConf(from, body, now, out);
    case MsgType::kEmptyData:
      return HandleEmptyData(body, now, out);
    case MsgType::kCookieReply:
      return;
  }
}

// --- timers ---------------------------------------------------------------------------

void Exchange::State::TickPeer(Peer& p, TimePoint now, Output& out) {
  if (p.has_pq_psk && p.last_exchange && now >= *p.last_exchange + StaleAfter()) {
    EmitRandom(p, PskSource::kRandomStale, out);
    ++counters.stale_psks;
  }
  if (p.init && (now - p.init->started >= kHandshakeAbort || ConfExpired(*p.init, now))) {
    Abandon(p);
    p.next_initiation = now;
  }
  if (p.init && now >= p.init->next_retransmit) {
    Retransmit(p, now, out);
    p.init->delay = std::min<Duration>(p.init->delay * 2, kRetransmitMax);
    ScheduleRetransmit(*p.init, now);
  }
  if (!p.init && p.endpoint && now >= p.next_initiation) StartInitiation(p, now, out);
}

TimePoint Exchange::State::PeerDeadline(const Peer& p) const {
  TimePoint t = TimePoint::max();
  if (p.has_pq_psk && p.last_exchange) t = std::min(t, *p.last_exchange + StaleAfter());
  if (p.init) {
    t = std::min({t, p.init->next_retransmit, p.init->started + kHandshakeAbort});
    if (p.init->stage == Initiation::Stage::kConf)
      t = std::min(t, p.init->conf_sent + kInitConfAbort);
  } else if (p.endpoint) {
    t = std::min(t, p.next_initiation);
  }
  return t;
}

// --- Exchange -------------------------------------------------------------------------

Exchange::Exchange(std::unique_ptr<State> state) : s_(std::move(state)) {}
Exchange::~Exchange() = default;

Result<std::unique_ptr<Exchange>> Exchange::Create(Bytes public_key,
                                                   crypto::MlKemDecapsKey secret_key, Rng& rng,
                                                   ExchangeOptions options, TimePoint now) {
  if (Status st = KemCheckPublicKey(options.algorithm, public_key); !st.ok())
    return Status::Error("own public key: " + st.message());
  if (secret_key.size() != SizesOf(options.algorithm).dk)
    return Status::Error(std::string("own secret key is not an ") +
                         AlgorithmStandardName(options.algorithm) + " key");
  if (options.rekey_interval < std::chrono::seconds(1))
    return Status::Error("rekey_interval must be at least 1 s");
  if (options.stale_epochs < 1) return Status::Error("stale_epochs must be at least 1");
  auto state =
      std::make_unique<State>(options, rng, std::move(public_key), std::move(secret_key), now);
  return std::unique_ptr<Exchange>(new Exchange(std::move(state)));
}

Result<PeerId> Exchange::AddPeer(const PeerConfig& config, TimePoint now, Output& out) {
  if (Status st = KemCheckPublicKey(s_->opt.algorithm, config.public_key); !st.ok())
    return Status::Error("peer public key: " + st.message());
  PeerKeys keys = MakePeerKeys(s_->labels, config.public_key, config.psk.value_or(Key{}));
  if (keys.pid == s_->me.pid) return Status::Error("peer public key is our own public key");
  if (s_->by_pid.count(keys.pid)) return Status::Error("peer public key configured twice");
  auto p = std::make_unique<Peer>();
  p->id = s_->next_id++;
  p->keys = std::move(keys);
  p->wg = config.wg_public_key;
  p->endpoint = config.endpoint;
  p->next_initiation = now;
  s_->EmitRandom(*p, PskSource::kRandomInitial, out);
  const PeerId id = p->id;
  s_->by_pid[p->keys.pid] = id;
  s_->peers[id] = std::move(p);
  return id;
}

std::optional<PeerId> Exchange::FindPeer(const Bytes& public_key) const {
  const Label pid = HashChain(s_->labels.peer_id, {public_key});
  auto it = s_->by_pid.find(pid);
  if (it == s_->by_pid.end()) return std::nullopt;
  return it->second;
}

void Exchange::SetWireGuardKey(PeerId id, const WgPublicKey& wg) {
  if (Peer* p = s_->FindPeer(id)) p->wg = wg;
}

void Exchange::RemovePeer(PeerId id) {
  Peer* p = s_->FindPeer(id);
  if (!p) return;
  if (p->init) s_->by_sidi.erase(p->init->hs.sidi);
  for (const Digest& d : p->hello_digests) s_->hellos.erase(d);
  s_->by_pid.erase(p->keys.pid);
  s_->peers.erase(id);
}

void Exchange::HandleDatagram(const wg::Endpoint& from, ByteSpan d, TimePoint now, Output& out) {
  if (!IsPqDatagram(d)) {
    ++s_->counters.bad_size;
    return;
  }
  if (d[0] == uint8_t(MsgType::kCookieReply)) return s_->HandleCookieReply(d, now);
  std::optional<Fragment> f = ParseFragment(d, s_->opt.algorithm);
  if (!f) {
    ++s_->counters.bad_size;
    return;
  }
  if (!s_->AdmitFragment(from, d, *f, now, out)) return;
  Bytes body;
  switch (s_->reassembler.Add(from, *f, now, body)) {
    case Reassembler::Outcome::kComplete:
      return s_->Dispatch(from, f->type, body, now, out);
    case Reassembler::Outcome::kDuplicate:
      ++s_->counters.duplicate_fragments;
      return;
    case Reassembler::Outcome::kConflict:
      ++s_->counters.conflicting_fragments;
      return;
    case Reassembler::Outcome::kIncomplete:
      return;
  }
}

void Exchange::Tick(TimePoint now, Output& out) {
  s_->biscuits.MaybeRotate(s_->rng, now);
  s_->cookies.MaybeRotate(s_->rng, now);
  s_->reassembler.Expire(now);
  if (now - s_->last_gc >= std::chrono::seconds(1)) {
    s_->ratelimiter.Gc(now);
    s_->last_gc = now;
  }
  for (auto& [_, p] : s_->peers) s_->TickPeer(*p, now, out);
}

TimePoint Exchange::NextDeadline() const {
  TimePoint t = std::min(
      {s_->biscuits.NextRotation(), s_->cookies.NextRotation(), s_->reassembler.NextDeadline()});
  for (const auto& [_, p] : s_->peers) t = std::min(t, s_->PeerDeadline(*p));
  return t;
}

void Exchange::SetLoadMode(LoadMode mode) { s_->load_mode = mode; }
bool Exchange::UnderLoad(TimePoint now) const { return s_->UnderLoad(now); }

const ExchangeCounters& Exchange::counters() const {
  s_->counters.reassembly_evicted = s_->reassembler.stats().evicted;
  s_->counters.reassembly_expired = s_->reassembler.stats().expired;
  return s_->counters;
}

std::optional<PeerStatus> Exchange::GetPeerStatus(PeerId id) const {
  const Peer* p = s_->FindPeer(id);
  if (!p) return std::nullopt;
  PeerStatus st;
  st.has_pq_psk = p->has_pq_psk;
  st.epoch = p->epoch;
  st.last_exchange = p->last_exchange;
  st.initiating = p->init.has_value();
  st.awaiting_empty_data = p->init && p->init->stage == Initiation::Stage::kConf;
  st.endpoint = p->endpoint;
  st.has_cookie = p->cookie.has_value();
  return st;
}

const Label& Exchange::peer_id() const { return s_->me.pid; }
const ExchangeOptions& Exchange::options() const { return s_->opt; }

}  // namespace dlog::pq
