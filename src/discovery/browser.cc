#include "discovery/browser.h"

#include <algorithm>

#include "discovery/mdns_constants.h"

namespace dlog::discovery {
namespace {

using std::chrono::seconds;

std::string LowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return s;
}

TimePoint ExpiryOf(TimePoint now, uint32_t ttl) {
  return now + (ttl == 0 ? seconds(1) : seconds(ttl));  // §10.1: goodbye = gone in 1 s
}

}  // namespace

Browser::Browser(BrowserConfig config, Rng& rng) : config_(std::move(config)), rng_(&rng) {
  if (config_.service.empty())
    config_.service = *DnsName::Parse(std::string(kServiceType) + ".local");
  if (!config_.ipv4 && !config_.ipv6) config_.ipv4 = true;
}

void Browser::Start(TimePoint now) {
  started_ = true;
  interval_ = kQueryFirstInterval;
  next_query_ = now + std::chrono::milliseconds(20 + rng_->Uniform(101));  // §5.2
}

void Browser::OnDatagram(TimePoint now, const Inbound& in, ByteSpan data) {
  ++stats_.received;
  last_now_ = std::max(last_now_, now);
  auto m = DecodeMessage(data);
  if (!m.ok() || m->opcode() != 0) {
    ++stats_.malformed;
    return;
  }
  if (!m->is_response() || in.from.port != kMdnsPort || m->rcode() != 0) return;  // §6, §18.11
  std::vector<const ResourceRecord*> all;
  for (const auto* sec : {&m->answers, &m->additionals}) {
    for (const auto& rr : *sec) all.push_back(&rr);
  }
  // Instances first, then their SRV/TXT, then the addresses of the hosts they name.
  for (const auto* rr : all) {
    if (rr->type == rrtype::kPtr && rr->name == config_.service) AbsorbPtr(now, *rr);
  }
  for (const auto* rr : all) {
    if (rr->type == rrtype::kSrv || rr->type == rrtype::kTxt) AbsorbInstanceRecord(now, *rr);
  }
  for (const auto* rr : all) {
    if (rr->type == rrtype::kA || rr->type == rrtype::kAaaa) AbsorbAddress(now, in, *rr);
  }
  Expire(now);
  Report();
  AskForMissing(now);
}

void Browser::AbsorbPtr(TimePoint now, const ResourceRecord& rr) {
  const auto* target = std::get_if<DnsName>(&rr.data);
  if (!target || target->labels().size() != config_.service.labels().size() + 1 ||
      !(target->Suffix(1) == config_.service)) {
    return;
  }
  ++stats_.records;
  std::string key = LowerAscii(target->labels()[0]);
  auto it = instances_.find(key);
  if (it == instances_.end()) {
    if (rr.ttl == 0) return;
    if (instances_.size() >= kMaxInstances) {
      ++stats_.dropped_full;
      return;
    }
    it = instances_.emplace(key, Instance{}).first;
    it->second.label = target->labels()[0];
  }
  it->second.ptr = Expiring{ExpiryOf(now, rr.ttl), now, rr.ttl};
}

Browser::Instance* Browser::FindInstance(const DnsName& name) {
  if (name.labels().size() != config_.service.labels().size() + 1) return nullptr;
  if (!(name.Suffix(1) == config_.service)) return nullptr;
  auto it = instances_.find(LowerAscii(name.labels()[0]));
  return it == instances_.end() ? nullptr : &it->second;
}

void Browser::AbsorbInstanceRecord(TimePoint now, const ResourceRecord& rr) {
  Instance* inst = FindInstance(rr.name);
  if (!inst) return;
  ++stats_.records;
  Expiring life{ExpiryOf(now, rr.ttl), now, rr.ttl};
  if (const auto* srv = std::get_if<SrvData>(&rr.data)) {
    inst->srv = *srv;
    inst->srv_life = life;
  } else if (const auto* txt = std::get_if<TxtData>(&rr.data)) {
    inst->txt.assign(txt->strings.begin(),
                     txt->strings.begin() + std::min(txt->strings.size(), kMaxTxtStrings));
    inst->txt_life = life;
  }
  inst->asks = 0;
}

bool Browser::HostReferenced(const std::string& key) const {
  return std::any_of(instances_.begin(), instances_.end(), [&](const auto& kv) {
    return kv.second.srv_life && kv.second.srv.target.Key() == key;
  });
}

void Browser::AbsorbAddress(TimePoint now, const Inbound& in, const ResourceRecord& rr) {
  const auto* ip = std::get_if<IpAddress>(&rr.data);
  std::string key = rr.name.Key();
  if (!ip || !HostReferenced(key)) return;
  ++stats_.records;
  auto it = hosts_.find(key);
  if (it == hosts_.end()) {
    if (hosts_.size() >= kMaxHosts) {
      ++stats_.dropped_full;
      return;
    }
    it = hosts_.emplace(key, Host{rr.name, {}, std::nullopt, 0}).first;
  }
  Host& host = it->second;
  IpAddress addr = *ip;
  if (addr.v6 && addr.IsLinkLocal()) addr.scope_id = in.ifindex ? in.ifindex : in.from.ip.scope_id;
  if (rr.cache_flush && rr.ttl != 0) {  // §10.2: older records of this name and type go
    for (auto& [a, life] : host.addresses) {
      if (a.v6 == addr.v6 && !(a == addr) && now - life.received > seconds(1)) {
        life.expires = std::min(life.expires, now + seconds(1));
      }
    }
  }
  if (!host.addresses.count(addr) && host.addresses.size() >= kMaxAddressesPerHost) {
    ++stats_.dropped_full;
    return;
  }
  host.addresses[addr] = Expiring{ExpiryOf(now, rr.ttl), now, rr.ttl};
  host.asks = 0;
}

void Browser::Tick(TimePoint now) {
  if (!started_) return;
  last_now_ = std::max(last_now_, now);
  Expire(now);
  Report();
  if (now >= next_query_) {
    SendBrowseQuery(now);
    next_query_ = now + interval_;
    interval_ = std::min<Duration>(interval_ * 2, kQueryMaxInterval);
  }
  AskForMissing(now);
}

void Browser::Expire(TimePoint now) {
  for (auto it = instances_.begin(); it != instances_.end();) {
    Instance& inst = it->second;
    if (inst.srv_life && inst.srv_life->expires <= now) inst.srv_life.reset();
    if (inst.txt_life && inst.txt_life->expires <= now) {
      inst.txt_life.reset();
      inst.txt.clear();
    }
    if (inst.ptr.expires <= now) {
      ++stats_.expired;
      if (inst.reported) events_.push_back(BrowserEvent{BrowserEvent::kLost, *inst.reported});
      it = instances_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = hosts_.begin(); it != hosts_.end();) {
    std::erase_if(it->second.addresses, [&](const auto& kv) { return kv.second.expires <= now; });
    if (!HostReferenced(it->first)) {
      it = hosts_.erase(it);
    } else {
      ++it;
    }
  }
  if (events_.size() > kMaxInstances * 2)
    events_.erase(events_.begin(), events_.end() - kMaxInstances * 2);
}

std::optional<Candidate> Browser::Build(const Instance& inst) const {
  if (!inst.srv_life) return std::nullopt;
  auto host = hosts_.find(inst.srv.target.Key());
  if (host == hosts_.end() || host->second.addresses.empty()) return std::nullopt;
  Candidate c;
  c.source = CandidateSource::kMdns;
  c.instance = inst.label;
  c.host = inst.srv.target.ToString();
  for (const auto& [a, life] : host->second.addresses) c.addresses.push_back(a);
  c.port = inst.srv.port;
  c.txt = DecodeTxt(inst.txt);
  return c;
}

void Browser::Report() {
  for (auto& [key, inst] : instances_) {
    std::optional<Candidate> now_c = Build(inst);
    if (now_c == inst.reported) continue;
    if (!now_c) {
      events_.push_back(BrowserEvent{BrowserEvent::kLost, *inst.reported});
    } else {
      auto kind = inst.reported ? BrowserEvent::kChanged : BrowserEvent::kFound;
      events_.push_back(BrowserEvent{kind, *now_c});
    }
    inst.reported = std::move(now_c);
  }
}

bool Browser::Stale(TimePoint now, const Expiring& e) const {
  return e.ttl != 0 && now >= e.received + seconds(e.ttl) * 4 / 5;  // §5.2: refresh at 80 %
}

void Browser::AskForMissing(TimePoint now) {
  if (!started_) return;
  DnsMessage q;
  auto due = [&](std::optional<TimePoint> last, int asks) {
    return asks < kMaxAsks && (!last || now - *last >= seconds(1));
  };
  for (auto& [key, inst] : instances_) {
    if (q.questions.size() >= kMaxKnownAnswers) break;
    bool need_srv = !inst.srv_life || Stale(now, *inst.srv_life);
    bool need_txt = !inst.txt_life || Stale(now, *inst.txt_life);
    if ((!need_srv && !need_txt) || !due(inst.last_asked, inst.asks)) continue;
    DnsName name = config_.service.Prepend(inst.label);
    if (need_srv) q.questions.push_back(Question{name, rrtype::kSrv, kClassIn, false});
    if (need_txt) q.questions.push_back(Question{name, rrtype::kTxt, kClassIn, false});
    inst.last_asked = now;
    ++inst.asks;
  }
  for (auto& [key, inst] : instances_) {
    if (q.questions.size() >= kMaxKnownAnswers || !inst.srv_life) continue;
    std::string hk = inst.srv.target.Key();
    auto h = hosts_.find(hk);
    bool stale =
        h != hosts_.end() && std::any_of(h->second.addresses.begin(), h->second.addresses.end(),
                                         [&](const auto& kv) { return Stale(now, kv.second); });
    if (h != hosts_.end() && !stale) continue;
    if (h == hosts_.end()) {
      if (hosts_.size() >= kMaxHosts) continue;
      h = hosts_.emplace(hk, Host{inst.srv.target, {}, std::nullopt, 0}).first;
    }
    if (!due(h->second.last_asked, h->second.asks)) continue;
    if (config_.ipv4) q.questions.push_back(Question{inst.srv.target, rrtype::kA, kClassIn, false});
    if (config_.ipv6)
      q.questions.push_back(Question{inst.srv.target, rrtype::kAaaa, kClassIn, false});
    h->second.last_asked = now;
    ++h->second.asks;
  }
  if (!q.questions.empty()) EmitQuery(std::move(q));
}

void Browser::SendBrowseQuery(TimePoint now) {
  DnsMessage q;
  q.questions.push_back(Question{config_.service, rrtype::kPtr, kClassIn, false});
  for (const auto& [key, inst] : instances_) {  // §7.1 known answers
    if (q.answers.size() >= kMaxKnownAnswers) break;
    auto left = std::chrono::duration_cast<seconds>(inst.ptr.expires - now).count();
    if (inst.ptr.ttl == 0 || left * 2 <= int64_t(inst.ptr.ttl)) continue;
    q.answers.push_back(
        MakePtr(config_.service, config_.service.Prepend(inst.label), uint32_t(left)));
  }
  EmitQuery(std::move(q));
}

void Browser::EmitQuery(DnsMessage m) {
  auto wire = EncodeMessage(m);
  if (!wire.ok()) return;
  for (bool v6 : {false, true}) {
    if ((v6 && !config_.ipv6) || (!v6 && !config_.ipv4) || out_.size() >= 64) continue;
    out_.push_back(Datagram{UdpAddress{v6 ? kMdnsGroupV6 : kMdnsGroupV4, kMdnsPort}, *wire});
    ++stats_.queries_sent;
  }
}

std::vector<Datagram> Browser::TakeOutgoing() { return std::exchange(out_, {}); }

std::vector<BrowserEvent> Browser::TakeEvents() { return std::exchange(events_, {}); }

std::optional<TimePoint> Browser::NextDeadline() const {
  if (!started_) return std::nullopt;
  TimePoint next = next_query_;
  auto consider = [&](TimePoint t) {
    if (t > last_now_) next = std::min(next, t);
  };
  for (const auto& [key, inst] : instances_) {
    consider(inst.ptr.expires);
    if (inst.srv_life) consider(inst.srv_life->expires);
    if (inst.txt_life) consider(inst.txt_life->expires);
    if (inst.srv_life) consider(inst.srv_life->received + seconds(inst.srv_life->ttl) * 4 / 5);
    if (inst.txt_life) consider(inst.txt_life->received + seconds(inst.txt_life->ttl) * 4 / 5);
    if (inst.asks < kMaxAsks && inst.last_asked) consider(*inst.last_asked + seconds(1));
  }
  for (const auto& [key, host] : hosts_) {
    for (const auto& [a, life] : host.addresses) {
      consider(life.expires);
      if (life.ttl) consider(life.received + seconds(life.ttl) * 4 / 5);
    }
    if (host.asks < kMaxAsks && host.last_asked) {
      consider(*host.last_asked + seconds(1));
    }
  }
  return next;
}

std::vector<Candidate> Browser::Candidates() const {
  std::vector<Candidate> out;
  for (const auto& [key, inst] : instances_) {
    if (auto c = Build(inst)) out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace dlog::discovery
