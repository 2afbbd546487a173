#include "discovery/responder.h"

#include <algorithm>
#include <tuple>

#include "discovery/mdns_constants.h"

namespace dlog::discovery {
namespace {

DnsName ServiceName() { return *DnsName::Parse(std::string(kServiceType) + ".local"); }
DnsName MetaName() { return *DnsName::Parse(std::string(kServicesMetaType) + ".local"); }

Status CheckLabel(const std::string& what, const std::string& label) {
  if (label.empty() || label.size() > kMaxLabelBytes) {
    return Status::Error(what + " must be 1..63 bytes, got " + std::to_string(label.size()));
  }
  return Status::Ok();
}

UdpAddress GroupFor(bool v6) { return UdpAddress{v6 ? kMdnsGroupV6 : kMdnsGroupV4, kMdnsPort}; }

bool Contains(const std::vector<ResourceRecord>& rrs, const ResourceRecord& rr) {
  return std::any_of(rrs.begin(), rrs.end(), [&](const auto& x) { return x.SameRecord(rr); });
}

Duration Between(Rng& rng, Duration lo, Duration hi) {
  auto span = uint32_t(std::chrono::duration_cast<std::chrono::milliseconds>(hi - lo).count());
  return lo + std::chrono::milliseconds(rng.Uniform(span + 1));
}

}  // namespace

Result<Responder> Responder::Create(ServiceConfig config, Rng& rng) {
  if (Status s = CheckLabel("instance name", config.instance); !s.ok()) return s;
  if (Status s = CheckLabel("host name", config.host); !s.ok()) return s;
  if (config.host.find('.') != std::string::npos) {
    return Status::Error("host name '" + config.host + "' must be one label (no '.')");
  }
  if (config.port == 0) return Status::Error("service port must not be 0");
  if (config.addresses.empty()) return Status::Error("at least one host address is needed");
  if (config.addresses.size() > 16) return Status::Error("at most 16 host addresses");
  if (!config.ipv4 && !config.ipv6) return Status::Error("enable IPv4 or IPv6 multicast");
  auto txt = EncodeTxt(config.txt);
  if (!txt.ok()) return txt.status();
  Responder r(std::move(config), rng, std::move(*txt));
  if (Status s = r.InstanceName().Validate(); !s.ok()) return s;
  return r;
}

Responder::Responder(ServiceConfig config, Rng& rng, std::vector<std::string> txt)
    : config_(std::move(config)),
      base_instance_(config_.instance),
      base_host_(config_.host),
      rng_(&rng),
      txt_(std::move(txt)) {}

DnsName Responder::InstanceName() const { return ServiceName().Prepend(config_.instance); }

DnsName Responder::HostName() const { return DnsName({config_.host, "local"}); }

std::vector<ResourceRecord> Responder::Records() const {
  std::vector<ResourceRecord> rrs;
  rrs.push_back(MakePtr(MetaName(), ServiceName(), kOtherRecordTtl));
  rrs.push_back(MakePtr(ServiceName(), InstanceName(), kOtherRecordTtl));
  rrs.push_back(MakeSrv(InstanceName(), config_.port, HostName(), kHostRecordTtl));
  rrs.push_back(MakeTxt(InstanceName(), txt_, kOtherRecordTtl));
  for (const auto& a : config_.addresses) rrs.push_back(MakeAddress(HostName(), a, kHostRecordTtl));
  return rrs;
}

int Responder::RecordIndex(const ResourceRecord& rr) const {
  auto all = Records();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].SameRecord(rr)) return int(i);
  }
  return -1;
}

void Responder::Start(TimePoint now) {
  if (state_ != State::kIdle) return;
  StartProbing(now);
}

void Responder::StartProbing(TimePoint now) {
  state_ = State::kProbing;
  step_ = 0;
  pending_.clear();
  last_multicast_.assign(Records().size(), std::nullopt);
  phase_due_ = now + Between(*rng_, Duration(0), kProbeInterval);
}

void Responder::Tick(TimePoint now) {
  if (state_ == State::kStopped || state_ == State::kFailed) return;
  while (phase_due_ && *phase_due_ <= now) {
    if (state_ == State::kProbing && step_ < kProbeCount) {
      SendProbe(now);
      ++step_;
      phase_due_ = now + kProbeInterval;
    } else if (state_ == State::kProbing) {
      state_ = State::kAnnouncing;
      step_ = 0;
      phase_due_ = now;
    } else if (state_ == State::kAnnouncing && step_ < kAnnounceCount) {
      SendAnnouncement(now);
      phase_due_ = now + kAnnounceInterval * (1 << step_);
      ++step_;
    } else {
      state_ = State::kRunning;
      phase_due_.reset();
    }
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->due > now) {
      ++it;
      continue;
    }
    std::vector<ResourceRecord> answers;
    for (auto& rr : it->answers) {
      if (!RecentlyMulticast(now, rr)) answers.push_back(rr);
    }
    if (!answers.empty()) {
      NoteMulticast(now, answers);
      DnsMessage m;
      m.flags = dnsflag::kResponse | dnsflag::kAuthoritative;
      m.answers = std::move(answers);
      for (auto& rr : it->additionals) {
        if (!Contains(m.answers, rr)) m.additionals.push_back(rr);
      }
      Emit(UdpAddress{it->group, kMdnsPort}, std::move(m));
    }
    it = pending_.erase(it);
  }
}

void Responder::SendProbe(TimePoint now) {
  DnsMessage m;
  for (const DnsName& n : {InstanceName(), HostName()}) {
    m.questions.push_back(Question{n, rrtype::kAny, kClassIn, true});
  }
  for (auto& rr : Records()) {
    if (rr.cache_flush) m.authorities.push_back(rr);  // the unique records we propose
  }
  for (auto& rr : m.authorities) rr.cache_flush = false;  // §8.2: no cache-flush in probes
  EmitMulticast(std::move(m));
}

void Responder::SendAnnouncement(TimePoint now) {
  DnsMessage m;
  m.flags = dnsflag::kResponse | dnsflag::kAuthoritative;
  m.answers = Records();
  m.additionals = AdditionalsFor(m.answers);
  NoteMulticast(now, m.answers);
  EmitMulticast(std::move(m));
}

void Responder::OnDatagram(TimePoint now, const Inbound& in, ByteSpan data) {
  if (state_ == State::kIdle || state_ == State::kStopped || state_ == State::kFailed) return;
  ++stats_.received;
  auto m = DecodeMessage(data);
  if (!m.ok() || m->opcode() != 0) {
    ++stats_.malformed;
    return;
  }
  if (m->is_response()) {
    if (in.from.port == kMdnsPort) HandleResponse(now, *m);  // §6: others are not mDNS
    return;
  }
  if (m->rcode() != 0) return;  // §18.11: queries with a non-zero rcode are ignored
  if (state_ == State::kProbing) {
    for (const DnsName& name : {InstanceName(), HostName()}) {
      if (LosesTieBreak(name, m->authorities)) {  // §8.2.1: defer one second, probe again
        step_ = 0;
        phase_due_ = now + std::chrono::seconds(1);
        return;
      }
    }
    return;  // our names are not ours yet
  }
  if (in.from.port != kMdnsPort) return HandleLegacyQuery(in, *m);
  HandleQuery(now, in, *m);
}

namespace {

// RDATA as §8.2 compares it: raw bytes, names uncompressed.
Bytes CanonicalRData(const RData& d) {
  Bytes out;
  auto name = [&](const DnsName& n) {
    for (const auto& l : n.labels()) {
      out.push_back(uint8_t(l.size()));
      out.insert(out.end(), l.begin(), l.end());
    }
    out.push_back(0);
  };
  if (const auto* ip = std::get_if<IpAddress>(&d)) {
    out.assign(ip->bytes.begin(), ip->bytes.begin() + (ip->v6 ? 16 : 4));
  } else if (const auto* n = std::get_if<DnsName>(&d)) {
    name(*n);
  } else if (const auto* srv = std::get_if<SrvData>(&d)) {
    for (uint16_t v : {srv->priority, srv->weight, srv->port}) {
      out.push_back(uint8_t(v >> 8));
      out.push_back(uint8_t(v));
    }
    name(srv->target);
  } else if (const auto* txt = std::get_if<TxtData>(&d)) {
    for (const auto& str : txt->strings) {
      out.push_back(uint8_t(str.size()));
      out.insert(out.end(), str.begin(), str.end());
    }
  } else if (const auto* raw = std::get_if<RawData>(&d)) {
    out = raw->bytes;
  }
  return out;
}

// The records for `name` as sorted (class, type, rdata) keys.
std::vector<std::tuple<uint16_t, uint16_t, Bytes>> TieBreakKeys(
    const DnsName& name, const std::vector<ResourceRecord>& rrs) {
  std::vector<std::tuple<uint16_t, uint16_t, Bytes>> keys;
  for (const auto& rr : rrs) {
    if (rr.name == name) keys.emplace_back(rr.rrclass, rr.type, CanonicalRData(rr.data));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

// §8.2: two hosts probing for one name compare their proposed records; the
// lexicographically later set wins, identical sets are no conflict (our own probe).
bool Responder::LosesTieBreak(const DnsName& name,
                              const std::vector<ResourceRecord>& theirs) const {
  auto them = TieBreakKeys(name, theirs);
  if (them.empty()) return false;
  std::vector<ResourceRecord> ours;
  for (auto& rr : Records()) {
    if (rr.cache_flush) ours.push_back(std::move(rr));
  }
  auto us = TieBreakKeys(name, ours);
  return us < them;
}

bool Responder::ConflictsWithUs(const ResourceRecord& rr) const {
  if (rr.ttl == 0 && rr.type != rrtype::kAny) return false;  // a goodbye
  bool instance = rr.name == InstanceName() && (rr.type == rrtype::kSrv || rr.type == rrtype::kTxt);
  bool host = rr.name == HostName() && (rr.type == rrtype::kA || rr.type == rrtype::kAaaa);
  if (!instance && !host) return false;
  return RecordIndex(rr) < 0;
}

void Responder::HandleResponse(TimePoint now, const DnsMessage& r) {
  for (const auto* sec : {&r.answers, &r.additionals}) {
    for (const auto& rr : *sec) {
      if (ConflictsWithUs(rr)) return Rename(now);
    }
  }
}

void Responder::Rename(TimePoint now) {
  ++stats_.conflicts;
  if (++renames_ > kMaxRenames) {
    state_ = State::kFailed;
    phase_due_.reset();
    pending_.clear();
    return;
  }
  std::string suffix = std::to_string(renames_ + 1);
  std::string inst = base_instance_.substr(0, kMaxLabelBytes - suffix.size() - 3);
  config_.instance = inst + " (" + suffix + ")";
  config_.host = base_host_.substr(0, kMaxLabelBytes - suffix.size() - 1) + "-" + suffix;
  StartProbing(now);
}

std::vector<ResourceRecord> Responder::AnswersFor(const Question& q) const {
  std::vector<ResourceRecord> out;
  if (q.qclass != kClassIn && q.qclass != kClassAny) return out;
  for (auto& rr : Records()) {
    if (rr.name == q.name && (q.type == rr.type || q.type == rrtype::kAny)) out.push_back(rr);
  }
  return out;
}

std::vector<ResourceRecord> Responder::AdditionalsFor(
    const std::vector<ResourceRecord>& answers) const {
  bool want_instance = false, want_host = false;
  for (const auto& rr : answers) {
    if (rr.type == rrtype::kPtr && rr.name == ServiceName()) want_instance = want_host = true;
    if (rr.type == rrtype::kSrv) want_host = true;
  }
  std::vector<ResourceRecord> out;
  auto add = [&](ResourceRecord rr) {
    if (!Contains(answers, rr)) out.push_back(std::move(rr));
  };
  for (auto& rr : Records()) {
    bool inst = rr.name == InstanceName() && want_instance;
    bool host = rr.name == HostName() && want_host;
    if (inst || host) add(rr);
  }
  if (want_instance) add(MakeNsec(InstanceName(), {rrtype::kTxt, rrtype::kSrv}, kOtherRecordTtl));
  if (want_host) {
    std::vector<uint16_t> types;
    for (const auto& a : config_.addresses) types.push_back(a.v6 ? rrtype::kAaaa : rrtype::kA);
    add(MakeNsec(HostName(), types, kHostRecordTtl));
  }
  return out;
}

void Responder::HandleQuery(TimePoint now, const Inbound& in, const DnsMessage& q) {
  std::vector<ResourceRecord> unicast, multicast;
  bool shared = false;
  for (const auto& question : q.questions) {
    for (auto& rr : AnswersFor(question)) {
      auto known = std::find_if(q.answers.begin(), q.answers.end(), [&](const auto& k) {
        return k.SameRecord(rr) && k.ttl >= rr.ttl / 2;
      });
      if (known != q.answers.end()) {
        ++stats_.suppressed;
        continue;
      }
      shared |= !rr.cache_flush;
      bool wants_unicast = question.unicast_response || !in.multicast;
      // §5.4: a QU answer goes to the group if it was not multicast in the last TTL/4.
      int i = RecordIndex(rr);
      bool fresh = i >= 0 && last_multicast_[i] &&
                   now - *last_multicast_[i] < std::chrono::seconds(rr.ttl / 4);
      auto& dest = (wants_unicast && (fresh || !in.multicast)) ? unicast : multicast;
      if (!Contains(dest, rr)) dest.push_back(std::move(rr));
    }
  }
  if (unicast.empty() && multicast.empty()) return;
  ++stats_.queries;
  if (!unicast.empty()) {
    DnsMessage m;
    m.flags = dnsflag::kResponse | dnsflag::kAuthoritative;
    m.additionals = AdditionalsFor(unicast);
    m.answers = std::move(unicast);
    Emit(in.from, std::move(m));
  }
  if (multicast.empty()) return;
  Duration delay = Duration(0);
  if (q.flags & dnsflag::kTruncated) {
    delay = Between(*rng_, std::chrono::milliseconds(400), std::chrono::milliseconds(500));
  } else if (shared) {
    delay = Between(*rng_, kResponseDelayMin, kResponseDelayMax);
  }
  IpAddress group = GroupFor(in.from.ip.v6).ip;
  auto additionals = AdditionalsFor(multicast);
  for (auto& p : pending_) {  // aggregate with an answer already waiting (§6.3)
    if (p.group == group && p.due <= now + delay) {
      for (auto& rr : multicast) {
        if (!Contains(p.answers, rr)) p.answers.push_back(rr);
      }
      for (auto& rr : additionals) {
        if (!Contains(p.additionals, rr)) p.additionals.push_back(rr);
      }
      return;
    }
  }
  if (pending_.size() >= kMaxPendingAnswers) return;
  pending_.push_back(
      PendingAnswer{now + delay, std::move(multicast), std::move(additionals), group});
  if (delay == Duration(0)) Tick(now);
}

void Responder::HandleLegacyQuery(const Inbound& in, const DnsMessage& q) {
  ++stats_.legacy_queries;
  DnsMessage m;
  m.id = q.id;
  m.flags = dnsflag::kResponse | dnsflag::kAuthoritative;
  for (const auto& question : q.questions) {
    for (auto& rr : AnswersFor(question)) {
      if (!Contains(m.answers, rr)) m.answers.push_back(std::move(rr));
    }
  }
  if (m.answers.empty()) return;
  ++stats_.queries;
  m.additionals = AdditionalsFor(m.answers);
  m.questions = q.questions;  // §6.7: the question is repeated
  for (auto& question : m.questions) question.unicast_response = false;
  for (auto* sec : {&m.answers, &m.additionals}) {
    for (auto& rr : *sec) {
      rr.cache_flush = false;          // §6.7: no cache-flush bits to legacy resolvers
      rr.ttl = std::min(rr.ttl, 10u);  // §6.7: TTLs at most 10 s
    }
  }
  Emit(in.from, std::move(m));
}

void Responder::SetAddresses(TimePoint now, std::vector<IpAddress> addresses) {
  if (addresses.empty() || addresses.size() > 16) return;
  std::vector<ResourceRecord> gone;
  for (const auto& a : config_.addresses) {
    if (std::find(addresses.begin(), addresses.end(), a) == addresses.end()) {
      gone.push_back(MakeAddress(HostName(), a, 0));
    }
  }
  bool live = state_ == State::kAnnouncing || state_ == State::kRunning;
  config_.addresses = std::move(addresses);
  last_multicast_.assign(Records().size(), std::nullopt);
  if (!live) return;
  if (!gone.empty()) {
    DnsMessage m;
    m.flags = dnsflag::kResponse | dnsflag::kAuthoritative;
    m.answers = std::move(gone);
    EmitMulticast(std::move(m));
  }
  state_ = State::kAnnouncing;
  step_ = 0;
  phase_due_ = now;
  Tick(now);
}

void Responder::Shutdown(TimePoint now) {
  bool live = state_ == State::kAnnouncing || state_ == State::kRunning;
  state_ = State::kStopped;
  phase_due_.reset();
  pending_.clear();
  if (!live) return;
  DnsMessage m;  // §10.1: goodbye
  m.flags = dnsflag::kResponse | dnsflag::kAuthoritative;
  m.answers = Records();
  for (auto& rr : m.answers) rr.ttl = 0;
  EmitMulticast(std::move(m));
}

bool Responder::RecentlyMulticast(TimePoint now, const ResourceRecord& rr) const {
  int i = RecordIndex(rr);
  return i >= 0 && last_multicast_[i] && now - *last_multicast_[i] < kMulticastRateLimit;
}

void Responder::NoteMulticast(TimePoint now, const std::vector<ResourceRecord>& rrs) {
  for (const auto& rr : rrs) {
    if (int i = RecordIndex(rr); i >= 0) last_multicast_[i] = now;
  }
}

void Responder::EmitMulticast(DnsMessage m) {
  if (config_.ipv4 && config_.ipv6) {
    Emit(GroupFor(false), m);
    Emit(GroupFor(true), std::move(m));
  } else {
    Emit(GroupFor(config_.ipv6), std::move(m));
  }
}

void Responder::Emit(const UdpAddress& to, DnsMessage m) {
  auto wire = EncodeMessage(m);
  if (!wire.ok() || out_.size() >= kMaxOutgoing) return;
  out_.push_back(Datagram{to, std::move(*wire)});
  ++stats_.sent;
}

std::vector<Datagram> Responder::TakeOutgoing() { return std::exchange(out_, {}); }

std::optional<TimePoint> Responder::NextDeadline() const {
  std::optional<TimePoint> next = phase_due_;
  for (const auto& p : pending_) {
    if (!next || p.due < *next) next = p.due;
  }
  return next;
}

}  // namespace dlog::discovery
