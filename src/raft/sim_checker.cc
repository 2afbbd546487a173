#include "raft/sim_checker.h"

#include <cinttypes>
#include <cstdio>

namespace dlog::raft {
namespace {

std::string Format(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

}  // namespace

void SimChecker::Fail(int64_t now, const std::string& what) {
  if (violation_.empty()) violation_ = Format("t=%" PRId64 "ms: ", now) + what;
}

void SimChecker::OnLeader(int64_t now, Term term, NodeId node) {
  auto [it, fresh] = leaders_.emplace(term, node);
  if (!fresh && it->second != node) {
    Fail(now, Format("election safety: nodes %" PRIu64 " and %" PRIu64 " both lead term %" PRIu64,
                     it->second, node, term));
  }
}

void SimChecker::OnApply(int64_t now, NodeId node, const Entry& e) {
  Index& next = next_apply_.try_emplace(node, 1).first->second;
  if (e.index != next) {
    Fail(now, Format("node %" PRIu64 " applied index %" PRIu64 ", expected %" PRIu64, node, e.index,
                     next));
    return;
  }
  ++next;
  if (e.index > applied_.size()) {
    applied_.push_back(e);
    return;
  }
  const Entry& first = applied_[e.index - 1];
  if (first != e) {
    Fail(now, Format("state machine safety: node %" PRIu64 " applied term %" PRIu64
                     " at index %" PRIu64 ", another node term %" PRIu64,
                     node, e.term, e.index, first.term));
  }
}

void SimChecker::OnCommittedConflict(int64_t now, NodeId node) {
  Fail(now, Format("node %" PRIu64 " was asked to overwrite a committed entry", node));
}

void SimChecker::OnAck(int64_t now, const RecordId& record) { acked_.insert(record); }

void SimChecker::CheckRecords(int64_t now, NodeId node, const std::vector<RecordId>& records,
                              bool complete) {
  std::map<uint64_t, uint64_t> last;  // client → last sequence number seen
  std::set<RecordId> seen;
  for (const RecordId& r : records) {
    uint64_t& prev = last[r.first];
    if (r.second != prev + 1) {
      Fail(now, Format("node %" PRIu64 ": client %" PRIu64 " record %" PRIu64 " follows %" PRIu64
                       " (duplicated or reordered)",
                       node, r.first, r.second, prev));
      return;
    }
    prev = r.second;
    seen.insert(r);
  }
  for (const RecordId& a : acked_) {
    if (complete && !seen.contains(a)) {
      Fail(now, Format("node %" PRIu64 " lost acknowledged record %" PRIu64 "/%" PRIu64, node,
                       a.first, a.second));
      return;
    }
  }
}

}  // namespace dlog::raft
