// dlog-mdns: announce or browse DLog's mDNS service (_dlog._udp.local), or resolve seeds;
// a test and diagnostic tool over discovery::Responder / Browser and net::MdnsSocket.
//
//   dlog-mdns announce --name N --port P [--host H] [--txt k=v]... [--address A]...
//                      [--interface IF] [--ipv6] [--duration S]
//   dlog-mdns browse [--timeout S] [--interface IF] [--ipv6]
//   dlog-mdns seeds [--port P] [--server IP:PORT] SEED...
//
// browse and seeds print one line per instance: name, addresses (comma-separated), port,
// TXT (space-separated k=v), separated by tabs.
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/rng.h"
#include "discovery/browser.h"
#include "discovery/mdns_constants.h"
#include "discovery/responder.h"
#include "discovery/seeds.h"
#include "net/dns_query.h"
#include "net/mdns_socket.h"

namespace {

using namespace dlog;
using namespace dlog::discovery;

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct Args {
  std::string command, name, host, interface, server;
  uint16_t port = 0;
  TxtPairs txt;
  std::vector<IpAddress> addresses;
  std::vector<std::string> seeds;
  bool ipv6 = false;
  double timeout = 5, duration = 0;
};

[[noreturn]] void Usage(const std::string& why) {
  fprintf(stderr,
          "dlog-mdns: %s\nusage:\n"
          "  dlog-mdns announce --name N --port P [--host H] [--txt k=v]... [--address A]...\n"
          "                     [--interface IF] [--ipv6] [--duration S]\n"
          "  dlog-mdns browse [--timeout S] [--interface IF] [--ipv6]\n"
          "  dlog-mdns seeds [--port P] [--server IP:PORT] SEED...\n",
          why.c_str());
  exit(2);
}

uint16_t ParsePort(const std::string& s) {
  char* end = nullptr;
  long v = strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || v <= 0 || v > 65535) Usage("bad port '" + s + "'");
  return uint16_t(v);
}

Args Parse(int argc, char** argv) {
  if (argc < 2) Usage("missing command");
  Args a;
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string f = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(f + " needs a value");
      return argv[++i];
    };
    if (f == "--name") {
      a.name = value();
    } else if (f == "--host") {
      a.host = value();
    } else if (f == "--port") {
      a.port = ParsePort(value());
    } else if (f == "--txt") {
      auto kv = ParseTxtArgument(value());
      if (!kv.ok()) Usage(kv.error());
      a.txt.push_back(*kv);
    } else if (f == "--address") {
      std::string v = value();
      auto ip = IpAddress::Parse(v);
      if (!ip) Usage("bad address '" + v + "'");
      a.addresses.push_back(*ip);
    } else if (f == "--interface") {
      a.interface = value();
    } else if (f == "--server") {
      a.server = value();
    } else if (f == "--ipv6") {
      a.ipv6 = true;
    } else if (f == "--timeout") {
      a.timeout = atof(value().c_str());
    } else if (f == "--duration") {
      a.duration = atof(value().c_str());
    } else if (a.command == "seeds" && !f.starts_with("--")) {
      a.seeds.push_back(f);
    } else {
      Usage("unknown argument '" + f + "'");
    }
  }
  return a;
}

wg::Endpoint ToEndpoint(const UdpAddress& a) {
  wg::Endpoint ep;
  ep.v6 = a.ip.v6;
  ep.addr = a.ip.bytes;
  ep.scope_id = a.ip.scope_id;
  ep.port = a.port;
  return ep;
}

UdpAddress FromEndpoint(const wg::Endpoint& ep) {
  IpAddress ip;
  ip.v6 = ep.v6;
  ip.bytes = ep.addr;
  ip.scope_id = ep.scope_id;
  return UdpAddress{ip, ep.port};
}

// The addresses of the joined interfaces (IPv6: only if asked), for the A/AAAA records.
std::vector<IpAddress> InterfaceAddresses(const std::vector<std::string>& names, bool v6) {
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    bool joined = false;
    for (const auto& n : names) joined |= n == i->ifa_name;
    if (!joined) continue;
    IpAddress ip;
    if (i->ifa_addr->sa_family == AF_INET) {
      memcpy(ip.bytes.data(), &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6 && v6) {
      ip.v6 = true;
      memcpy(ip.bytes.data(), &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    if (out.size() < 16) out.push_back(ip);
  }
  freeifaddrs(list);
  return out;
}

// One socket per family; both cores see every datagram.
class Driver {
 public:
  explicit Driver(const Args& a) {
    auto v4 = net::MdnsSocket::Open(
        {.v6 = false, .port = kMdnsPort, .interface = a.interface, .loopback = true});
    if (!v4.ok()) Fail(v4.error());
    socks_.push_back(std::move(*v4));
    if (a.ipv6) {
      auto v6 = net::MdnsSocket::Open(
          {.v6 = true, .port = kMdnsPort, .interface = a.interface, .loopback = true});
      if (!v6.ok()) Fail(v6.error());
      socks_.push_back(std::move(*v6));
    }
  }
  [[noreturn]] static void Fail(const std::string& why) {
    fprintf(stderr, "dlog-mdns: %s\n", why.c_str());
    exit(1);
  }
  const std::vector<std::string>& joined() const { return socks_[0]->joined(); }

  template <typename Core>
  void Flush(Core& core) {
    for (const auto& d : core.TakeOutgoing()) {
      for (auto& s : socks_) {
        if (s->group().v6 == d.to.ip.v6) (void)s->Send(ToEndpoint(d.to), d.payload);
      }
    }
  }

  // Waits until `deadline` (at most) and feeds what arrives to `core`.
  template <typename Core>
  void Pump(Core& core, TimePoint deadline) {
    TimePoint now = clock_.Now();
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    std::vector<pollfd> fds;
    for (auto& s : socks_) fds.push_back(pollfd{s->fd(), POLLIN, 0});
    int rc = poll(fds.data(), fds.size(), int(std::clamp<int64_t>(wait + 1, 0, 1000)));
    if (rc <= 0) return;
    for (size_t i = 0; i < socks_.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      auto r = socks_[i]->Receive(std::chrono::milliseconds(0));
      if (!r.ok() || !*r) continue;
      core.OnDatagram(clock_.Now(),
                      Inbound{FromEndpoint((*r)->from), (*r)->to_group, (*r)->ifindex}, (*r)->data);
    }
  }
  TimePoint Now() const { return clock_.Now(); }

 private:
  SystemClock clock_;
  std::vector<std::unique_ptr<net::MdnsSocket>> socks_;
};

std::string Line(const Candidate& c) {
  std::string addrs, txt;
  for (const auto& a : c.addresses) addrs += (addrs.empty() ? "" : ",") + a.ToString();
  for (const auto& [k, v] : c.txt) txt += (txt.empty() ? "" : " ") + k + "=" + v;
  return c.instance + "\t" + addrs + "\t" + std::to_string(c.port) + "\t" + txt;
}

TimePoint Later(TimePoint now, std::optional<TimePoint> deadline) {
  TimePoint cap = now + std::chrono::seconds(1);
  return deadline && *deadline < cap ? *deadline : cap;
}

int Announce(const Args& a) {
  if (a.name.empty() || a.port == 0) Usage("announce needs --name and --port");
  Driver driver(a);
  ServiceConfig c;
  c.instance = a.name;
  char hostname[256] = {};
  gethostname(hostname, sizeof hostname - 1);
  c.host = a.host.empty() ? std::string(hostname) : a.host;
  if (auto dot = c.host.find('.'); dot != std::string::npos) c.host.resize(dot);
  c.port = a.port;
  c.txt = a.txt;
  c.addresses = a.addresses.empty() ? InterfaceAddresses(driver.joined(), a.ipv6) : a.addresses;
  c.ipv6 = a.ipv6;
  SystemRng rng;
  auto responder = Responder::Create(c, rng);
  if (!responder.ok()) Driver::Fail(responder.error());
  Responder& r = *responder;
  TimePoint start = driver.Now();
  r.Start(start);
  fprintf(stderr, "dlog-mdns: announcing '%s' (host %s.local, port %u) on %zu interface(s)\n",
          c.instance.c_str(), c.host.c_str(), c.port, driver.joined().size());
  bool said_running = false;
  while (!g_stop && r.state() != Responder::State::kFailed) {
    if (a.duration > 0 && driver.Now() - start > std::chrono::duration<double>(a.duration)) break;
    r.Tick(driver.Now());
    driver.Flush(r);
    if (!said_running &&
        (r.state() == Responder::State::kAnnouncing || r.state() == Responder::State::kRunning)) {
      fprintf(stderr, "dlog-mdns: announced as '%s'\n", r.instance().c_str());
      said_running = true;
    }
    driver.Pump(r, Later(driver.Now(), r.NextDeadline()));
  }
  if (r.state() == Responder::State::kFailed) Driver::Fail("too many name conflicts");
  r.Shutdown(driver.Now());
  driver.Flush(r);
  const auto& s = r.stats();
  fprintf(stderr, "dlog-mdns: goodbye; received %lu, malformed %lu, answered %lu (legacy %lu)\n",
          (unsigned long)s.received, (unsigned long)s.malformed, (unsigned long)s.queries,
          (unsigned long)s.legacy_queries);
  return 0;
}

int Browse(const Args& a) {
  Driver driver(a);
  SystemRng rng;
  Browser b(BrowserConfig{.ipv4 = true, .ipv6 = a.ipv6, .service = {}}, rng);
  TimePoint end =
      driver.Now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(a.timeout));
  b.Start(driver.Now());
  while (!g_stop && driver.Now() < end) {
    b.Tick(driver.Now());
    driver.Flush(b);
    for (const auto& e : b.TakeEvents()) {
      if (e.kind == BrowserEvent::kFound) printf("%s\n", Line(e.candidate).c_str());
      fflush(stdout);
    }
    TimePoint until = Later(driver.Now(), b.NextDeadline());
    driver.Pump(b, until < end ? until : end);
  }
  fprintf(stderr, "dlog-mdns: %zu instance(s); received %lu, malformed %lu\n",
          b.Candidates().size(), (unsigned long)b.stats().received,
          (unsigned long)b.stats().malformed);
  return 0;
}

int Seeds(const Args& a) {
  if (a.seeds.empty()) Usage("seeds needs at least one SEED");
  std::vector<Seed> seeds;
  for (const auto& s : a.seeds) {
    auto seed = ParseSeed(s, a.port ? a.port : 51820);
    if (!seed.ok()) Driver::Fail(seed.error());
    seeds.push_back(*seed);
  }
  net::DnsQueryOptions options;
  if (!a.server.empty()) {
    auto ep = wg::Endpoint::Parse(a.server);
    if (!ep) Usage("bad --server '" + a.server + "'");
    options.server = *ep;
  }
  auto result = ResolveSeeds(seeds, [&](const std::string& name, uint16_t type) {
    return net::DnsQuery(name, type, options);
  });
  for (const auto& c : result.candidates) printf("%s\n", Line(c).c_str());
  for (const auto& e : result.errors) fprintf(stderr, "dlog-mdns: %s\n", e.c_str());
  return result.candidates.empty() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  if (a.command == "announce") return Announce(a);
  if (a.command == "browse") return Browse(a);
  if (a.command == "seeds") return Seeds(a);
  Usage("unknown command '" + a.command + "'");
}
