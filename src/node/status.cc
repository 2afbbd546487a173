#include "node/status.h"

#include <cstdio>

namespace dlog::node {

std::string JsonString(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += char(c);
    } else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else {
      o += char(c);
    }
  }
  return o + "\"";
}

namespace {

void Field(std::string& o, const char* key, const std::string& value) {
  o += JsonString(key) + ":" + JsonString(value);
}
void Field(std::string& o, const char* key, uint64_t value) {
  o += JsonString(key) + ":" + std::to_string(value);
}
void Field(std::string& o, const char* key, int64_t value) {
  o += JsonString(key) + ":" + std::to_string(value);
}
void Field(std::string& o, const char* key, bool value) {
  o += JsonString(key) + ":" + (value ? "true" : "false");
}

std::string MemberJson(const MemberStatus& m) {
  std::string o = "{";
  Field(o, "name", m.name);
  o += ",";
  Field(o, "public_key", m.public_key);
  o += ",";
  Field(o, "role", m.role);
  o += ",";
  Field(o, "overlay", m.overlay);
  o += ",";
  Field(o, "self", m.self);
  o += ",\"endpoint\":" + (m.endpoint ? JsonString(*m.endpoint) : std::string("null")) + ",";
  Field(o, "last_handshake", m.last_handshake);
  o += ",";
  Field(o, "rx_bytes", m.rx_bytes);
  o += ",";
  Field(o, "tx_bytes", m.tx_bytes);
  o += ",";
  Field(o, "pq", m.pq);
  o += ",";
  Field(o, "pq_epoch", m.pq_epoch);
  return o + "}";
}

}  // namespace

std::string ToJson(const NodeStatus& s) {
  std::string o = "{";
  Field(o, "node", s.name);
  o += ",";
  Field(o, "public_key", s.public_key);
  o += ",";
  Field(o, "overlay", s.overlay);
  o += ",";
  Field(o, "cluster", s.cluster);
  o += ",";
  Field(o, "stack", s.stack);
  o += ",";
  Field(o, "listen_port", uint64_t(s.listen_port));
  o += ",";
  Field(o, "joined", s.joined);
  o += ",\"members\":[";
  for (size_t i = 0; i < s.members.size(); ++i) {
    if (i) o += ",";
    o += MemberJson(s.members[i]);
  }
  o += "],\"counters\":{";
  bool first = true;
  for (const auto& [name, value] : s.counters) {
    if (!first) o += ",";
    first = false;
    Field(o, name.c_str(), value);
  }
  return o + "}}\n";
}

}  // namespace dlog::node
