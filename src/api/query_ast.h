// The parsed form of a query (docs/QUERY.md):
//
//   SELECT <item>[, <item>…] FROM <log> [WHERE <predicate> [AND <predicate>…]] [LIMIT n]
//
// Produced by ParseQuery (query_parser.h), read by the evaluator and the executor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dlog::api {

// Record metadata addressable as fields; kNone: a field of the JSON value.
enum class MetaField : uint8_t { kNone, kOffset, kKey, kTimestamp, kPartition };

struct FieldPath {
  MetaField meta = MetaField::kNone;
  std::vector<std::string> path;  // JSON members, outermost first (empty for metadata)
  std::string text;               // the name a projected row uses: segments joined by '.'
  uint32_t column = 0;            // 1-based, where the field starts in the query
  bool operator==(const FieldPath&) const = default;
};

// A JSON-compatible number: integers kept exact, others as double.
struct Number {
  enum class Kind : uint8_t { kInt, kUint, kDouble };
  Kind kind = Kind::kInt;
  int64_t i = 0;   // kInt
  uint64_t u = 0;  // kUint (only for values above INT64_MAX)
  double d = 0;    // kDouble
  bool operator==(const Number&) const = default;
};

struct Literal {
  enum class Kind : uint8_t { kNumber, kString, kBool, kNull };
  Kind kind = Kind::kNull;
  Number number;
  std::string string;
  bool boolean = false;
  bool operator==(const Literal&) const = default;
};

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kContains };

const char* CompareOpName(CompareOp op);

struct Predicate {
  FieldPath field;
  CompareOp op = CompareOp::kEq;
  Literal value;
  bool operator==(const Predicate&) const = default;
};

struct Query {
  bool select_all = false;        // `*` among the items: every member of the value
  std::vector<FieldPath> fields;  // the other items, in order
  std::string log;                // "namespace/name", validated
  std::vector<Predicate> where;   // all must hold
  std::optional<uint64_t> limit;
  bool operator==(const Query&) const = default;
};

}  // namespace dlog::api
