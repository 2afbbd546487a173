#include "api/query_executor.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "api/query_eval.h"
#include "api/query_parser.h"

namespace dlog::api {
namespace {

std::optional<uint64_t> NonNegativeInteger(const Literal& l) {
  if (l.kind != Literal::Kind::kNumber) return std::nullopt;
  if (l.number.kind == Number::Kind::kInt && l.number.i >= 0) return uint64_t(l.number.i);
  if (l.number.kind == Number::Kind::kUint) return l.number.u;
  double d = l.number.d;  // kDouble: 1.0 names offset or partition 1 as well
  if (l.number.kind == Number::Kind::kDouble && d >= 0 && d < 0x1p64 && d == std::floor(d)) {
    return uint64_t(d);
  }
  return std::nullopt;
}

// The lowest offset any matching record can have, from the _offset conditions.
uint64_t StartOffset(const Query& q) {
  uint64_t start = 0;
  for (const Predicate& p : q.where) {
    if (p.field.meta != MetaField::kOffset) continue;
    std::optional<uint64_t> n = NonNegativeInteger(p.value);
    if (!n) continue;
    if (p.op == CompareOp::kGe || p.op == CompareOp::kEq) start = std::max(start, *n);
    if (p.op == CompareOp::kGt && *n < UINT64_MAX) start = std::max(start, *n + 1);
  }
  return start;
}

// The only partition that can match, if a `_partition = n` condition says so; an
// out-of-range or non-integer n matches no partition (UINT64_MAX).
std::optional<uint64_t> OnlyPartition(const Query& q) {
  for (const Predicate& p : q.where) {
    if (p.field.meta != MetaField::kPartition || p.op != CompareOp::kEq) continue;
    std::optional<uint64_t> n = NonNegativeInteger(p.value);
    return n ? *n : UINT64_MAX;
  }
  return std::nullopt;
}

}  // namespace

struct QueryExecutor::Scan {
  QueryResponse response;
  uint64_t limit = 0;
  size_t row_bytes = 0;
  bool done = false;  // LIMIT reached or a bound hit
};

QueryExecutor::QueryExecutor(RecordSource* source, ExecutorOptions options)
    : source_(source), options_(options) {}

QueryOutcome QueryExecutor::Run(std::string_view text) {
  ParsedQuery parsed = ParseQuery(text);
  if (const QueryError* e = std::get_if<QueryError>(&parsed)) {
    ErrorResponse error = MakeError(ErrorCode::kBadQuery, e->message);
    error.position = e->column;
    return error;
  }
  return Run(std::get<Query>(parsed));
}

QueryOutcome QueryExecutor::Run(const Query& query) {
  std::optional<uint32_t> partitions = source_->Partitions(query.log);
  if (!partitions) {
    return MakeError(ErrorCode::kUnknownLog, "no log named " + query.log +
                                                 "; ListLogs shows the logs, CreateLog makes one");
  }
  Scan scan;
  scan.limit = query.limit.value_or(options_.default_limit);
  scan.done = scan.limit == 0;
  std::optional<uint64_t> only = OnlyPartition(query);
  for (uint32_t p = 0; p < *partitions && !scan.done; ++p) {
    if (only && *only != p) continue;
    ErrorResponse error;
    if (!ScanPartition(query, p, &scan, &error)) return error;
  }
  return std::move(scan.response);
}

bool QueryExecutor::ScanPartition(const Query& query, uint32_t partition, Scan* scan,
                                  ErrorResponse* error) {
  QueryResponse& out = scan->response;
  uint64_t from = StartOffset(query);
  while (!scan->done) {
    uint64_t want = options_.read_batch;
    if (query.where.empty()) want = std::min<uint64_t>(want, scan->limit - out.rows.size());
    want = std::min<uint64_t>(want, options_.max_scanned - out.scanned);
    if (want == 0) {  // only the scan bound can leave nothing to read here
      out.truncated = true;
      scan->done = true;
      break;
    }
    Result<std::vector<log::Record>> records =
        source_->Read(query.log, partition, from, static_cast<uint32_t>(want));
    if (!records.ok()) {
      *error =
          MakeError(ErrorCode::kInternal, "reading " + query.log + " partition " +
                                              std::to_string(partition) + ": " + records.error());
      return false;
    }
    if (records->empty()) break;
    for (const log::Record& r : *records) {
      ++out.scanned;
      from = r.offset + 1;
      RecordView view{partition, r.offset, r.timestamp_ms, r.key, r.value};
      std::string row;
      EvalOutcome outcome = Evaluate(query, view, &row);
      if (outcome == EvalOutcome::kNotObject) ++out.not_object;
      if (outcome != EvalOutcome::kMatch) continue;
      if (scan->row_bytes + row.size() > options_.max_row_bytes) {
        out.truncated = true;
        scan->done = true;
        break;
      }
      scan->row_bytes += row.size();
      out.rows.push_back(std::move(row));
      if (out.rows.size() >= scan->limit) {
        out.truncated = !query.limit.has_value();  // the default bound, not the query's
        scan->done = true;
        break;
      }
    }
  }
  return true;
}

}  // namespace dlog::api
