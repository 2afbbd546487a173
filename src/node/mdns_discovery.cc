#include "node/mdns_discovery.h"

#include <pthread.h>

#include <algorithm>

#include "base/hex.h"
#include "base/log.h"
#include "discovery/browser.h"
#include "discovery/txt.h"

namespace dlog::node {
namespace {

wg::Endpoint ToEndpoint(const discovery::UdpAddress& a) {
  wg::Endpoint ep;
  ep.v6 = a.ip.v6;
  ep.addr = a.ip.bytes;
  ep.scope_id = a.ip.scope_id;
  ep.port = a.port;
  return ep;
}

discovery::UdpAddress FromEndpoint(const wg::Endpoint& ep) {
  discovery::IpAddress ip;
  ip.v6 = ep.v6;
  ip.bytes = ep.addr;
  ip.scope_id = ep.scope_id;
  return {ip, ep.port};
}

std::optional<cluster::PublicKey> KeyOf(const discovery::Candidate& c) {
  auto it = c.txt.find(discovery::kTxtKey);
  if (it == c.txt.end()) return std::nullopt;
  auto bytes = FromBase64(it->second);
  if (!bytes || bytes->size() != cluster::kKeySize) return std::nullopt;
  cluster::PublicKey k;
  std::copy(bytes->begin(), bytes->end(), k.begin());
  return k;
}

}  // namespace

Result<std::unique_ptr<MdnsDiscovery>> MdnsDiscovery::Start(const Clock& clock, Found found) {
  net::MdnsSocketOptions o;
  o.v6 = false;
  auto sock = net::MdnsSocket::Open(o);
  if (!sock.ok()) return sock.status();
  std::unique_ptr<MdnsDiscovery> d(new MdnsDiscovery(clock, std::move(found), std::move(*sock)));
  d->thread_ = std::thread([p = d.get()] {
    pthread_setname_np(pthread_self(), "dlog-mdns");
    p->Run();
  });
  return d;
}

MdnsDiscovery::~MdnsDiscovery() { Stop(); }

void MdnsDiscovery::Publish(discovery::ServiceConfig service) {
  std::lock_guard lock(mu_);
  pending_ = std::move(service);
}

void MdnsDiscovery::Stop() {
  if (stopping_.exchange(true)) return;
  socket_->Shutdown();
  if (thread_.joinable()) thread_.join();
}

void MdnsDiscovery::Run() {
  discovery::Browser browser(discovery::BrowserConfig{.ipv4 = true, .ipv6 = false, .service = {}},
                             rng_);
  std::optional<discovery::Responder> responder;
  browser.Start(clock_.Now());
  auto send = [this](std::vector<discovery::Datagram> out) {
    for (const discovery::Datagram& d : out) (void)socket_->Send(ToEndpoint(d.to), d.payload);
  };
  while (!stopping_) {
    TimePoint now = clock_.Now();
    {
      std::lock_guard lock(mu_);
      if (pending_) {
        if (responder) responder->Shutdown(now), send(responder->TakeOutgoing());
        auto r = discovery::Responder::Create(std::move(*pending_), rng_);
        pending_.reset();
        if (r.ok()) {
          responder.emplace(std::move(*r));
          responder->Start(now);
        } else {
          DLOG_ERROR("mdns: %s", r.error().c_str());
        }
      }
    }
    browser.Tick(now);
    if (responder) responder->Tick(now);
    send(browser.TakeOutgoing());
    if (responder) send(responder->TakeOutgoing());
    for (const discovery::BrowserEvent& e : browser.TakeEvents()) {
      if (e.kind == discovery::BrowserEvent::kLost) continue;
      const auto key = KeyOf(e.candidate);
      for (const discovery::IpAddress& ip : e.candidate.addresses) {
        if (ip.v6) continue;
        found_(key, e.candidate.instance, ToEndpoint({ip, e.candidate.port}));
      }
    }
    TimePoint wake = now + kMdnsPoll;
    if (auto d = browser.NextDeadline()) wake = std::min(wake, *d);
    if (responder)
      if (auto d = responder->NextDeadline()) wake = std::min(wake, *d);
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake - clock_.Now());
    auto r = socket_->Receive(std::max(wait, std::chrono::milliseconds(1)));
    if (!r.ok() || !*r) continue;
    now = clock_.Now();
    discovery::Inbound in{FromEndpoint((*r)->from), (*r)->to_group, (*r)->ifindex};
    browser.OnDatagram(now, in, (*r)->data);
    if (responder) responder->OnDatagram(now, in, (*r)->data);
  }
  if (responder) {
    responder->Shutdown(clock_.Now());
    send(responder->TakeOutgoing());
  }
}

}  // namespace dlog::node
