// stack_peer: one end of a TCP test over either stack, in its own process (lwIP's
// state is per process, so two lwIP stacks need two processes).
//
//   stack_peer --stack userspace|kernel --addr 10.66.0.2/24 [--tun NAME | --fd N]
//              [--addr6 fd66::2/64] [--input queued|inline] CMD
//
// Packet I/O (userspace only): --tun NAME opens (creates) a kernel TUN and relays its
// IP packets; --fd N relays over a SOCK_SEQPACKET socket, one IP packet per message
// (the unit test's socketpair). With --stack kernel the process uses ordinary sockets
// bound to --addr's address and needs no packet I/O.
//
//   stack_peer relay TUN_A TUN_B
//
// relays IP packets between two TUNs (the kernel-stack baseline of bench/stack_netns.sh:
// the same one-process packet hop as the userspace case, with a kernel stack behind it).
//
// Commands (each prints one result line on stdout):
//   serve                  services until SIGTERM (then prints the userspace stack's counters
//                          on stderr) or until the --fd peer hangs up; prints "ready"
//       7  echo            bytes back until EOF, then FIN
//       8  who             writes "<remote ip:port>\n", closes
//       9  sink            reads to EOF, writes "<bytes> <sha256> <remote ip:port>\n"
//       19 source          reads "<N>\n", writes N pattern bytes, closes
//       10 callback        reads "<port>\n", connects back to the caller's address on that
//                          port, writes "<local ip:port>\n" there, closes both
//   send ADDR N            connect, write N pattern bytes, FIN, print "sent N <sha256>
//                          <seconds> <reply>" (reply: what the server wrote back)
//   recv ADDR N            connect to a source, print "received N <sha256> <seconds>"
//   pingpong ADDR COUNT    COUNT round trips of 64 bytes through an echo service, print
//                          "rtt_us median=<m> p99=<p> mean=<a>"
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/tun.h"
#include "stack/kernel_stack.h"
#include "stack/userspace_stack.h"

using namespace dlog;
using namespace dlog::stack;

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "stack_peer: %s\n", what.c_str());
  std::fflush(stderr);
  _exit(2);
}

template <typename T>
T Check(Result<T> r, const char* what) {
  if (!r) Die(std::string(what) + ": " + r.error());
  return std::move(r.value());
}

void Check(const Status& s, const char* what) {
  if (!s) Die(std::string(what) + ": " + s.message());
}

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  void Update(ByteSpan b) { EVP_DigestUpdate(ctx_, b.data(), b.size()); }
  std::string Hex() {
    unsigned char md[32];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    std::string s;
    char h[3];
    for (unsigned i = 0; i < len; ++i) {
      std::snprintf(h, sizeof h, "%02x", md[i]);
      s += h;
    }
    return s;
  }

 private:
  EVP_MD_CTX* ctx_;
};

// The pattern: xorshift64 bytes, the same in every process.
class Pattern {
 public:
  void Fill(MutableByteSpan b) {
    for (auto& x : b) {
      s_ ^= s_ << 13;
      s_ ^= s_ >> 7;
      s_ ^= s_ << 17;
      x = uint8_t(s_);
    }
  }

 private:
  uint64_t s_ = 0x9E3779B97F4A7C15ull;
};

constexpr Timeout kIo{20000};

std::string ReadLine(Stream& s) {
  std::string line;
  uint8_t c;
  while (line.size() < 256) {
    size_t n = Check(s.Read({&c, 1}, kIo), "read line");
    if (n == 0 || c == '\n') break;
    line += char(c);
  }
  return line;
}

std::string ReadAll(Stream& s) {
  std::string out;
  uint8_t buf[4096];
  while (out.size() < (1 << 20)) {
    size_t n = Check(s.Read(buf, kIo), "read");
    if (n == 0) break;
    out.append(reinterpret_cast<char*>(buf), n);
  }
  return out;
}

void WriteStr(Stream& s, const std::string& str) { Check(s.Write(AsBytes(str), kIo), "write"); }

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- services ----

void Echo(std::unique_ptr<Stream> s) {
  std::vector<uint8_t> buf(64 * 1024);
  for (;;) {
    auto n = s->Read(buf, kForever);
    if (!n || *n == 0) break;
    if (!s->Write({buf.data(), *n}, kIo)) return;
  }
  (void)s->Shutdown();
}

void Sink(std::unique_ptr<Stream> s, SocketAddress remote) {
  std::vector<uint8_t> buf(64 * 1024);
  Sha256 sha;
  uint64_t total = 0;
  for (;;) {
    auto n = s->Read(buf, kIo);
    if (!n) return;
    if (*n == 0) break;
    sha.Update({buf.data(), *n});
    total += *n;
  }
  (void)s->Write(AsBytes(std::to_string(total) + " " + sha.Hex() + " " + remote.ToString() + "\n"),
                 kIo);
}

void Source(std::unique_ptr<Stream> s) {
  uint64_t n = std::strtoull(ReadLine(*s).c_str(), nullptr, 10);
  Pattern pattern;
  std::vector<uint8_t> buf(64 * 1024);
  while (n > 0) {
    size_t k = std::min<uint64_t>(n, buf.size());
    pattern.Fill({buf.data(), k});
    if (!s->Write({buf.data(), k}, kIo)) return;
    n -= k;
  }
}

void Callback(Stack& stack, std::unique_ptr<Stream> s, SocketAddress remote) {
  int port = std::atoi(ReadLine(*s).c_str());
  auto back = stack.Connect({remote.ip, uint16_t(port)}, kIo);
  if (!back) return;
  (void)(*back)->Write(AsBytes((*back)->Local().ToString() + "\n"), kIo);
}

void Serve(Stack& stack, uint16_t port, std::vector<std::unique_ptr<Listener>>& keep) {
  keep.push_back(Check(stack.Listen(port), "listen"));
  Listener* l = keep.back().get();
  std::thread([&stack, l, port] {
    for (;;) {
      auto a = l->Accept(kForever);
      if (!a) return;
      std::thread([&stack, port, a = std::move(*a)]() mutable {
        switch (port) {
          case 7:
            return Echo(std::move(a.stream));
          case 8:
            return WriteStr(*a.stream, a.remote.ToString() + "\n");
          case 9:
            return Sink(std::move(a.stream), a.remote);
          case 19:
            return Source(std::move(a.stream));
          case 10:
            return Callback(stack, std::move(a.stream), a.remote);
        }
      }).detach();
    }
  }).detach();
}

// ---- client commands ----

SocketAddress Addr(const char* s) {
  auto a = SocketAddress::Parse(s);
  if (!a) Die(std::string("bad address ") + s);
  return *a;
}

void Send(Stack& stack, SocketAddress to, uint64_t n) {
  auto s = Check(stack.Connect(to, kIo), "connect");
  auto t0 = std::chrono::steady_clock::now();
  Pattern pattern;
  Sha256 sha;
  std::vector<uint8_t> buf(64 * 1024);
  for (uint64_t left = n; left > 0;) {
    size_t k = std::min<uint64_t>(left, buf.size());
    pattern.Fill({buf.data(), k});
    sha.Update({buf.data(), k});
    Check(s->Write({buf.data(), k}, kIo), "write");
    left -= k;
  }
  Check(s->Shutdown(), "shutdown");
  std::string reply = ReadAll(*s);  // the sink answers after it has every byte
  double secs = Since(t0);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  std::printf("sent %llu %s %.6f %s\n", (unsigned long long)n, sha.Hex().c_str(), secs,
              reply.c_str());
}

void Recv(Stack& stack, SocketAddress from, uint64_t n) {
  auto s = Check(stack.Connect(from, kIo), "connect");
  auto t0 = std::chrono::steady_clock::now();
  WriteStr(*s, std::to_string(n) + "\n");
  Sha256 sha;
  uint64_t total = 0;
  std::vector<uint8_t> buf(64 * 1024);
  for (;;) {
    size_t k = Check(s->Read(buf, kIo), "read");
    if (k == 0) break;
    sha.Update({buf.data(), k});
    total += k;
  }
  std::printf("received %llu %s %.6f\n", (unsigned long long)total, sha.Hex().c_str(), Since(t0));
}

void PingPong(Stack& stack, SocketAddress to, int count) {
  auto s = Check(stack.Connect(to, kIo), "connect");
  uint8_t msg[64] = {};
  std::vector<double> rtt;
  for (int i = 0; i < count; ++i) {
    msg[0] = uint8_t(i);
    auto t0 = std::chrono::steady_clock::now();
    Check(s->Write(msg, kIo), "write");
    uint8_t back[64];
    for (size_t got = 0; got < sizeof back;) {
      size_t k = Check(s->Read({back + got, sizeof back - got}, kIo), "read");
      if (k == 0) Die("echo closed early");
      got += k;
    }
    if (std::memcmp(back, msg, sizeof msg) != 0) Die("echo mismatch");
    rtt.push_back(Since(t0) * 1e6);
  }
  std::vector<double> sorted = rtt;
  std::sort(sorted.begin(), sorted.end());
  double mean = 0;
  for (double r : rtt) mean += r / rtt.size();
  std::printf("rtt_us median=%.1f p99=%.1f mean=%.1f\n", sorted[sorted.size() / 2],
              sorted[sorted.size() * 99 / 100], mean);
}

// ---- packet I/O for the userspace stack ----

struct PacketIo {
  std::unique_ptr<net::Tun> tun;
  int fd = -1;
};

void RelayInbound(UserspaceStack* stack, PacketIo* io) {
  if (io->tun) {
    net::PacketBatch batch;
    for (;;) {
      auto r = io->tun->ReadBatch(0, batch);
      if (!r || *r != net::Tun::ReadResult::kOk) _exit(0);
      for (size_t i = 0; i < batch.size(); ++i) stack->InjectInbound(batch.packet(i));
    }
  }
  std::vector<uint8_t> buf(65536);
  for (;;) {
    ssize_t n = recv(io->fd, buf.data(), buf.size(), 0);
    if (n <= 0) _exit(0);  // the other process is gone
    stack->InjectInbound({buf.data(), size_t(n)});
  }
}

[[noreturn]] void Relay(const char* a, const char* b) {
  std::shared_ptr<net::Tun> ta = Check(net::Tun::Create(a, {}), "tun");
  std::shared_ptr<net::Tun> tb = Check(net::Tun::Create(b, {}), "tun");
  auto pump = [](std::shared_ptr<net::Tun> from, std::shared_ptr<net::Tun> to) {
    net::PacketBatch batch;
    for (;;) {
      auto r = from->ReadBatch(0, batch);
      if (!r || *r != net::Tun::ReadResult::kOk) _exit(0);
      for (size_t i = 0; i < batch.size(); ++i) (void)to->Write(0, batch.packet(i));
    }
  };
  std::thread(pump, tb, ta).detach();
  std::printf("ready\n");
  std::fflush(stdout);
  pump(ta, tb);
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "relay") Relay(argv[2], argv[3]);
  std::string kind = "userspace", tun_name, addr, addr6;
  int fd = -1;
  bool inline_input = false;
  int i = 1;
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    std::string flag = argv[i];
    if (flag == "--stack")
      kind = argv[i + 1];
    else if (flag == "--addr")
      addr = argv[i + 1];
    else if (flag == "--tun")
      tun_name = argv[i + 1];
    else if (flag == "--fd")
      fd = std::atoi(argv[i + 1]);
    else if (flag == "--addr6")
      addr6 = argv[i + 1];
    else if (flag == "--input")
      inline_input = std::string(argv[i + 1]) == "inline";
    else
      Die("unknown flag " + flag);
  }
  if (i >= argc) Die("usage: stack_peer --stack K --addr A/N [--tun NAME|--fd N] CMD ...");
  // serve waits for SIGTERM/SIGINT in main; block them before any thread starts, so
  // that no other thread takes them. Other commands keep the default (timeout(1) works).
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  if (std::string(argv[i]) == "serve") pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto iface = IpInterface::Parse(addr);
  if (!iface) Die("bad --addr " + addr);

  PacketIo io;
  std::unique_ptr<Stack> stack;
  if (kind == "kernel") {
    stack = std::make_unique<KernelStack>(iface->ip);
  } else if (kind == "userspace") {
    if (!tun_name.empty())
      io.tun = Check(net::Tun::Create(tun_name, {}), "tun");
    else if (fd >= 0)
      io.fd = fd;
    else
      Die("userspace needs --tun or --fd");
    std::optional<IpInterface> iface6;
    if (!addr6.empty() && !(iface6 = IpInterface::Parse(addr6))) Die("bad --addr6 " + addr6);
    auto* iop = &io;
    auto us = Check(UserspaceStack::Create({*iface, iface6, kUserspaceMtu,
                                            inline_input ? InputMode::kInline : InputMode::kQueued},
                                           [iop](ByteSpan p) {
                                             if (iop->tun)
                                               (void)iop->tun->Write(0, p);
                                             else
                                               send(iop->fd, p.data(), p.size(), MSG_NOSIGNAL);
                                           }),
                    "userspace stack");
    std::thread(RelayInbound, us.get(), &io).detach();
    stack = std::move(us);
  } else {
    Die("unknown --stack " + kind);
  }

  std::string cmd = argv[i];
  auto arg = [&](int k) -> const char* {
    if (i + k >= argc) Die("missing argument for " + cmd);
    return argv[i + k];
  };
  if (cmd == "serve") {
    std::vector<std::unique_ptr<Listener>> listeners;
    for (uint16_t port : {7, 8, 9, 10, 19}) Serve(*stack, port, listeners);
    std::printf("ready\n");
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);  // until killed (or, with --fd, until the peer hangs up)
    if (auto* us = dynamic_cast<UserspaceStack*>(stack.get())) {
      UserspaceCounters c = us->counters();
      std::fprintf(stderr, "counters in=%llu out=%llu dropped_invalid=%llu dropped_full=%llu\n",
                   (unsigned long long)c.packets_in, (unsigned long long)c.packets_out,
                   (unsigned long long)c.dropped_invalid, (unsigned long long)c.dropped_full);
    }
    std::fflush(stderr);
    _exit(0);  // the acceptor threads still use the listeners: never destroy them
  } else if (cmd == "send") {
    Send(*stack, Addr(arg(1)), std::strtoull(arg(2), nullptr, 10));
  } else if (cmd == "recv") {
    Recv(*stack, Addr(arg(1)), std::strtoull(arg(2), nullptr, 10));
  } else if (cmd == "pingpong") {
    PingPong(*stack, Addr(arg(1)), std::atoi(arg(2)));
  } else {
    Die("unknown command " + cmd);
  }
  std::fflush(stdout);
  _exit(0);  // lwIP's thread and the relay never end; leave without joining them
}
