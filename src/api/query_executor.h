// QueryExecutor: runs a query over a RecordSource and builds the QueryResponse.
//
// Order: partition 0 first, then 1, …; within a partition, offset order. Pushdown:
//  - LIMIT: reading stops as soon as LIMIT rows are found, and without a WHERE clause
//    each read asks for no more records than rows still needed (LIMIT 0 reads nothing);
//  - `_partition = n` (any such condition) restricts the scan to that partition;
//  - `_offset >= n`, `_offset > n` and `_offset = n` start each partition's scan there
//    (the conditions are still evaluated, so pushdown never changes the result).
// Bounds (ExecutorOptions): records scanned, rows without LIMIT, bytes of rows; when one
// stops the scan early the response says truncated.
//
// Thread-safety: none; one executor per thread (it holds only its options).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "api/error.h"
#include "api/messages.h"
#include "api/query_ast.h"
#include "api/record_source.h"

namespace dlog::api {

struct ExecutorOptions {
  uint64_t max_scanned = 1000000;          // records read per query
  uint64_t default_limit = 10000;          // rows when the query has no LIMIT
  size_t max_row_bytes = 8 * 1024 * 1024;  // serialised rows per response
  uint32_t read_batch = 1000;              // records per RecordSource::Read
};

using QueryOutcome = std::variant<QueryResponse, ErrorResponse>;

class QueryExecutor {
 public:
  explicit QueryExecutor(RecordSource* source, ExecutorOptions options = {});

  // Parses `text` and runs it: BadQuery (with its column), UnknownLog, or Internal when
  // the source fails.
  QueryOutcome Run(std::string_view text);
  QueryOutcome Run(const Query& query);

 private:
  struct Scan;
  bool ScanPartition(const Query& query, uint32_t partition, Scan* scan, ErrorResponse* error);

  RecordSource* const source_;
  const ExecutorOptions options_;
};

}  // namespace dlog::api
