#include "discovery/dns_message.h"

#include <algorithm>
#include <map>

namespace dlog::discovery {
namespace {

bool HoldsName(uint16_t type) {
  return type == rrtype::kPtr || type == rrtype::kCname || type == 2 /* NS */;
}

// Reads big-endian fields and names from one message; every read is bounds-checked.
class Reader {
 public:
  explicit Reader(ByteSpan wire) : w_(wire) {}
  size_t pos() const { return pos_; }
  size_t size() const { return w_.size(); }
  void Seek(size_t p) { pos_ = p; }

  bool U8(uint8_t& v) {
    if (pos_ + 1 > w_.size()) return false;
    v = w_[pos_++];
    return true;
  }
  bool U16(uint16_t& v) {
    if (pos_ + 2 > w_.size()) return false;
    v = uint16_t(w_[pos_] << 8 | w_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t& v) {
    if (pos_ + 4 > w_.size()) return false;
    v = LoadBE32(&w_[pos_]);
    pos_ += 4;
    return true;
  }
  bool Take(size_t n, ByteSpan& out) {
    if (n > w_.size() - pos_) return false;
    out = w_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

  // A name at pos(); the part in place must end by `limit`. A pointer must point
  // before the start of the run of labels it ends (each jump moves strictly
  // backwards, so no loop), and at most kMaxPointerJumps are followed.
  Result<DnsName> Name(size_t limit) {
    std::vector<std::string> labels;
    size_t cursor = pos_, run_start = pos_, wire_len = 1, jumps = 0;
    bool jumped = false;
    limit = std::min(limit, w_.size());
    for (;;) {
      size_t bound = jumped ? w_.size() : limit;
      if (cursor >= bound) return Status::Error("name runs past its bounds");
      uint8_t len = w_[cursor];
      if ((len & 0xc0) == 0xc0) {
        if (cursor + 1 >= bound) return Status::Error("truncated compression pointer");
        size_t target = size_t(len & 0x3f) << 8 | w_[cursor + 1];
        if (target >= run_start) return Status::Error("compression pointer does not point back");
        if (++jumps > kMaxPointerJumps) return Status::Error("too many compression pointers");
        if (!jumped) pos_ = cursor + 2;
        jumped = true;
        cursor = run_start = target;
        continue;
      }
      if (len & 0xc0) return Status::Error("unknown label type");
      if (len == 0) {
        if (!jumped) pos_ = cursor + 1;
        return DnsName(std::move(labels));
      }
      wire_len += 1 + len;
      if (wire_len > kMaxNameBytes) return Status::Error("name longer than 255 bytes");
      if (cursor + 1 + len > bound) return Status::Error("label runs past its bounds");
      labels.emplace_back(reinterpret_cast<const char*>(&w_[cursor + 1]), len);
      cursor += 1 + len;
    }
  }

 private:
  ByteSpan w_;
  size_t pos_ = 0;
};

Result<RData> DecodeRData(Reader& r, uint16_t type, size_t end) {
  size_t start = r.pos();
  size_t len = end - start;
  ByteSpan raw;
  if (type == rrtype::kA || type == rrtype::kAaaa) {
    size_t want = type == rrtype::kA ? 4 : 16;
    if (len != want) return Status::Error("address record of wrong length");
    IpAddress ip;
    ip.v6 = type == rrtype::kAaaa;
    (void)r.Take(len, raw);
    std::copy(raw.begin(), raw.end(), ip.bytes.begin());
    return RData(ip);
  }
  if (HoldsName(type)) {
    auto name = r.Name(end);
    if (!name.ok()) return name.status();
    if (r.pos() != end) return Status::Error("name record has trailing bytes");
    return RData(std::move(*name));
  }
  if (type == rrtype::kSrv) {
    SrvData srv;
    if (len < 7 || !r.U16(srv.priority) || !r.U16(srv.weight) || !r.U16(srv.port)) {
      return Status::Error("SRV record too short");
    }
    auto name = r.Name(end);
    if (!name.ok()) return name.status();
    if (r.pos() != end) return Status::Error("SRV record has trailing bytes");
    srv.target = std::move(*name);
    return RData(std::move(srv));
  }
  if (type == rrtype::kTxt) {
    TxtData txt;
    while (r.pos() < end) {
      uint8_t n = 0;
      (void)r.U8(n);
      if (n > end - r.pos() || !r.Take(n, raw))
        return Status::Error("TXT string runs past its record");
      txt.strings.emplace_back(reinterpret_cast<const char*>(raw.data()), raw.size());
    }
    return RData(std::move(txt));
  }
  if (type == rrtype::kNsec) {
    NsecData nsec;
    auto name = r.Name(end);
    if (!name.ok()) return name.status();
    nsec.next = std::move(*name);
    int last_window = -1;
    while (r.pos() < end) {
      uint8_t window = 0, blen = 0;
      if (end - r.pos() < 2) return Status::Error("NSEC bitmap truncated");
      (void)r.U8(window);
      (void)r.U8(blen);
      if (window <= last_window || blen == 0 || blen > 32 || blen > end - r.pos()) {
        return Status::Error("NSEC bitmap malformed");
      }
      last_window = window;
      (void)r.Take(blen, raw);
      for (size_t i = 0; i < raw.size(); ++i) {
        for (int b = 0; b < 8; ++b) {
          if (raw[i] & (0x80 >> b)) nsec.types.push_back(uint16_t(window * 256 + i * 8 + b));
        }
      }
    }
    return RData(std::move(nsec));
  }
  (void)r.Take(len, raw);
  return RData(RawData{Bytes(raw.begin(), raw.end())});
}

Result<ResourceRecord> DecodeRecord(Reader& r) {
  ResourceRecord rr;
  auto name = r.Name(r.size());
  if (!name.ok()) return name.status();
  rr.name = std::move(*name);
  uint16_t cls = 0, rdlen = 0;
  if (!r.U16(rr.type) || !r.U16(cls) || !r.U32(rr.ttl) || !r.U16(rdlen)) {
    return Status::Error("record header truncated");
  }
  rr.cache_flush = cls & kTopBit;
  rr.rrclass = cls & ~kTopBit;
  if (rdlen > r.size() - r.pos()) return Status::Error("record data runs past the message");
  auto data = DecodeRData(r, rr.type, r.pos() + rdlen);
  if (!data.ok()) return data.status();
  rr.data = std::move(*data);
  return rr;
}

// Writes big-endian fields and compressed names.
class Writer {
 public:
  Bytes& out() { return out_; }
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) {
    out_.push_back(uint8_t(v >> 8));
    out_.push_back(uint8_t(v));
  }
  void U32(uint32_t v) {
    U16(uint16_t(v >> 16));
    U16(uint16_t(v));
  }
  Status Name(const DnsName& name, bool compress) {
    if (Status s = name.Validate(); !s.ok()) return s;
    const auto& labels = name.labels();
    for (size_t i = 0; i < labels.size(); ++i) {
      std::string key = name.Suffix(i).Key();
      if (compress) {
        if (auto it = offsets_.find(key); it != offsets_.end()) {
          U16(uint16_t(0xc000 | it->second));
          return Status::Ok();
        }
      }
      if (out_.size() < 0x3fff) offsets_.emplace(std::move(key), uint16_t(out_.size()));
      U8(uint8_t(labels[i].size()));
      out_.insert(out_.end(), labels[i].begin(), labels[i].end());
    }
    U8(0);
    return Status::Ok();
  }

 private:
  Bytes out_;
  std::map<std::string, uint16_t> offsets_;
};

struct RDataWriter {
  Writer& w;
  uint16_t type;
  Status operator()(const RawData& d) {
    w.out().insert(w.out().end(), d.bytes.begin(), d.bytes.end());
    return Status::Ok();
  }
  Status operator()(const IpAddress& ip) {
    if ((type == rrtype::kA && ip.v6) || (type == rrtype::kAaaa && !ip.v6) ||
        (type != rrtype::kA && type != rrtype::kAaaa)) {
      return Status::Error("address data in a record of type " + TypeName(type));
    }
    w.out().insert(w.out().end(), ip.bytes.begin(), ip.bytes.begin() + (ip.v6 ? 16 : 4));
    return Status::Ok();
  }
  Status operator()(const DnsName& n) {
    if (!HoldsName(type)) return Status::Error("name data in a record of type " + TypeName(type));
    return w.Name(n, true);
  }
  Status operator()(const SrvData& s) {
    if (type != rrtype::kSrv)
      return Status::Error("SRV data in a record of type " + TypeName(type));
    w.U16(s.priority);
    w.U16(s.weight);
    w.U16(s.port);
    return w.Name(s.target, true);
  }
  Status operator()(const TxtData& t) {
    if (type != rrtype::kTxt)
      return Status::Error("TXT data in a record of type " + TypeName(type));
    for (const auto& s : t.strings) {
      if (s.size() > 255) return Status::Error("TXT string longer than 255 bytes");
      w.U8(uint8_t(s.size()));
      w.out().insert(w.out().end(), s.begin(), s.end());
    }
    return Status::Ok();
  }
  Status operator()(const NsecData& n) {
    if (type != rrtype::kNsec)
      return Status::Error("NSEC data in a record of type " + TypeName(type));
    if (Status s = w.Name(n.next, false); !s.ok()) return s;
    std::vector<uint16_t> types = n.types;
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
    for (size_t i = 0; i < types.size();) {
      uint8_t window = uint8_t(types[i] >> 8);
      uint8_t bitmap[32] = {};
      size_t used = 0;
      for (; i < types.size() && (types[i] >> 8) == window; ++i) {
        uint8_t low = uint8_t(types[i]);
        bitmap[low / 8] |= uint8_t(0x80 >> (low % 8));
        used = low / 8 + 1;
      }
      w.U8(window);
      w.U8(uint8_t(used));
      w.out().insert(w.out().end(), bitmap, bitmap + used);
    }
    return Status::Ok();
  }
};

Status EncodeRecord(Writer& w, const ResourceRecord& rr) {
  if (Status s = w.Name(rr.name, true); !s.ok()) return s;
  w.U16(rr.type);
  w.U16(uint16_t((rr.rrclass & ~kTopBit) | (rr.cache_flush ? kTopBit : 0)));
  w.U32(rr.ttl);
  size_t len_at = w.out().size();
  w.U16(0);
  if (Status s = std::visit(RDataWriter{w, rr.type}, rr.data); !s.ok()) return s;
  size_t len = w.out().size() - len_at - 2;
  if (len > 0xffff) return Status::Error("record data longer than 65535 bytes");
  w.out()[len_at] = uint8_t(len >> 8);
  w.out()[len_at + 1] = uint8_t(len);
  return Status::Ok();
}

}  // namespace

bool ResourceRecord::SameRecord(const ResourceRecord& o) const {
  return type == o.type && rrclass == o.rrclass && name == o.name && data == o.data;
}

Result<DnsMessage> DecodeMessage(ByteSpan wire) {
  Reader r(wire);
  DnsMessage m;
  uint16_t counts[4];
  if (wire.size() < kDnsHeaderBytes) return Status::Error("shorter than a DNS header");
  (void)r.U16(m.id);
  (void)r.U16(m.flags);
  size_t total = 0;
  for (auto& c : counts) {
    (void)r.U16(c);
    total += c;
  }
  if (total > kMaxRecordsPerMessage) return Status::Error("too many records");
  for (uint16_t i = 0; i < counts[0]; ++i) {
    Question q;
    auto name = r.Name(r.size());
    if (!name.ok()) return name.status();
    q.name = std::move(*name);
    uint16_t cls = 0;
    if (!r.U16(q.type) || !r.U16(cls)) return Status::Error("question truncated");
    q.unicast_response = cls & kTopBit;
    q.qclass = cls & ~kTopBit;
    m.questions.push_back(std::move(q));
  }
  std::vector<ResourceRecord>* sections[3] = {&m.answers, &m.authorities, &m.additionals};
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s + 1]; ++i) {
      auto rr = DecodeRecord(r);
      if (!rr.ok()) return rr.status();
      sections[s]->push_back(std::move(*rr));
    }
  }
  return m;
}

Result<Bytes> EncodeMessage(const DnsMessage& m) {
  if (m.questions.size() > 0xffff || m.answers.size() > 0xffff || m.authorities.size() > 0xffff ||
      m.additionals.size() > 0xffff) {
    return Status::Error("too many records for one message");
  }
  Writer w;
  w.U16(m.id);
  w.U16(m.flags);
  w.U16(uint16_t(m.questions.size()));
  w.U16(uint16_t(m.answers.size()));
  w.U16(uint16_t(m.authorities.size()));
  w.U16(uint16_t(m.additionals.size()));
  for (const auto& q : m.questions) {
    if (Status s = w.Name(q.name, true); !s.ok()) return s;
    w.U16(q.type);
    w.U16(uint16_t((q.qclass & ~kTopBit) | (q.unicast_response ? kTopBit : 0)));
  }
  for (const auto* sec : {&m.answers, &m.authorities, &m.additionals}) {
    for (const auto& rr : *sec) {
      if (Status s = EncodeRecord(w, rr); !s.ok()) return s;
    }
  }
  if (w.out().size() > 0xffff) return Status::Error("message longer than 65535 bytes");
  return std::move(w.out());
}

ResourceRecord MakePtr(DnsName name, DnsName target, uint32_t ttl) {
  return ResourceRecord{std::move(name), rrtype::kPtr, kClassIn,
                        false,           ttl,          RData(std::move(target))};
}

ResourceRecord MakeSrv(DnsName name, uint16_t port, DnsName target, uint32_t ttl) {
  SrvData srv{0, 0, port, std::move(target)};
  return ResourceRecord{std::move(name), rrtype::kSrv, kClassIn, true, ttl, RData(std::move(srv))};
}

ResourceRecord MakeTxt(DnsName name, std::vector<std::string> strings, uint32_t ttl) {
  return ResourceRecord{
      std::move(name), rrtype::kTxt, kClassIn, true, ttl, RData(TxtData{std::move(strings)})};
}

ResourceRecord MakeAddress(DnsName name, IpAddress address, uint32_t ttl) {
  uint16_t type = address.v6 ? rrtype::kAaaa : rrtype::kA;
  address.scope_id = 0;  // not on the wire
  return ResourceRecord{std::move(name), type, kClassIn, true, ttl, RData(address)};
}

ResourceRecord MakeNsec(DnsName name, std::vector<uint16_t> types, uint32_t ttl) {
  DnsName next = name;
  return ResourceRecord{std::move(name),
                        rrtype::kNsec,
                        kClassIn,
                        true,
                        ttl,
                        RData(NsecData{std::move(next), std::move(types)})};
}

std::string TypeName(uint16_t type) {
  switch (type) {
    case rrtype::kA:
      return "A";
    case rrtype::kCname:
      return "CNAME";
    case rrtype::kPtr:
      return "PTR";
    case rrtype::kTxt:
      return "TXT";
    case rrtype::kAaaa:
      return "AAAA";
    case rrtype::kSrv:
      return "SRV";
    case rrtype::kNsec:
      return "NSEC";
    case rrtype::kAny:
      return "ANY";
  }
  return "TYPE" + std::to_string(type);
}

}  // namespace dlog::discovery
