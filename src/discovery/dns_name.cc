#include "discovery/dns_name.h"

namespace dlog::discovery {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

}  // namespace

bool LabelEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

Result<DnsName> DnsName::Parse(std::string_view dotted) {
  std::vector<std::string> labels;
  std::string cur;
  bool escaped = false;
  if (dotted == ".") return DnsName();
  for (char c : dotted) {
    if (escaped) {
      cur += c;
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == '.') {
      if (cur.empty()) return Status::Error("empty label in name '" + std::string(dotted) + "'");
      labels.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (escaped) return Status::Error("name ends with a backslash: '" + std::string(dotted) + "'");
  if (!cur.empty()) labels.push_back(std::move(cur));
  DnsName name(std::move(labels));
  if (Status s = name.Validate(); !s.ok()) return s;
  return name;
}

size_t DnsName::WireLength() const {
  size_t n = 1;
  for (const auto& l : labels_) n += 1 + l.size();
  return n;
}

Status DnsName::Validate() const {
  for (const auto& l : labels_) {
    if (l.empty()) return Status::Error("empty label");
    if (l.size() > kMaxLabelBytes) {
      return Status::Error("label longer than 63 bytes: '" + l.substr(0, 20) + "...'");
    }
  }
  if (WireLength() > kMaxNameBytes) return Status::Error("name longer than 255 bytes");
  return Status::Ok();
}

DnsName DnsName::Prepend(std::string label) const {
  std::vector<std::string> l;
  l.reserve(labels_.size() + 1);
  l.push_back(std::move(label));
  l.insert(l.end(), labels_.begin(), labels_.end());
  return DnsName(std::move(l));
}

DnsName DnsName::Suffix(size_t n) const {
  if (n >= labels_.size()) return DnsName();
  return DnsName(std::vector<std::string>(labels_.begin() + n, labels_.end()));
}

bool DnsName::EndsWith(const DnsName& parent) const {
  if (parent.labels_.size() > labels_.size()) return false;
  size_t off = labels_.size() - parent.labels_.size();
  for (size_t i = 0; i < parent.labels_.size(); ++i) {
    if (!LabelEquals(labels_[off + i], parent.labels_[i])) return false;
  }
  return true;
}

std::string DnsName::ToString() const {
  if (labels_.empty()) return ".";
  std::string s;
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (i) s += '.';
    for (char c : labels_[i]) {
      if (c == '.' || c == '\\') s += '\\';
      s += c;
    }
  }
  return s;
}

std::string DnsName::Key() const {
  std::string s = ToString();
  for (char& c : s) c = Lower(c);
  return s;
}

bool operator==(const DnsName& a, const DnsName& b) {
  return a.labels_.size() == b.labels_.size() && a.EndsWith(b);
}

}  // namespace dlog::discovery
