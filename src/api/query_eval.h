// Evaluation of a parsed query against one record (docs/QUERY.md, "Semantics").
//
// A record matches when its value is a JSON object (nesting at most kMaxJsonDepth) and
// every predicate holds. Comparisons never convert types:
//  - number with number: numerically (integers exactly; a double on either side
//    compares as double); string with string: bytewise (UTF-8 code-point order);
//    bool with bool: = and != only;
//  - any other pairing, a missing field, or an object/array field: no match, for every
//    operator including != (except CONTAINS on an array);
//  - `= null` holds when the field is null or missing; `!= null` when it is present and
//    not null; the ordering operators never hold with null;
//  - LIKE: the field is a string matching the pattern ('%' any run, '_' one byte);
//  - CONTAINS: a string field containing the string literal, or an array field with an
//    element equal (as `=`) to the literal.
// Metadata: _offset, _partition and _timestamp are numbers, _key a string (its bytes).
//
// Projection: a JSON object; with `*` the value's members first (in their order), then
// each selected field under its dotted name (null when missing). Invalid UTF-8 in
// strings or keys is replaced by U+FFFD when the row is serialised.
//
// Thread-safety: stateless functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "api/query_ast.h"
#include "base/bytes.h"

namespace dlog::api {

inline constexpr size_t kMaxJsonDepth = 64;

// The parts of a record a query can see.
struct RecordView {
  uint32_t partition = 0;
  uint64_t offset = 0;
  int64_t timestamp_ms = 0;
  ByteSpan key;
  ByteSpan value;
};

enum class EvalOutcome : uint8_t {
  kMatch,      // all predicates hold; the row was projected
  kNoMatch,    // a predicate does not hold
  kNotObject,  // the value is not a JSON object (or is nested too deeply): skipped, counted
};

// Decides whether `record` matches `query`; on kMatch, `row` holds the projected JSON row.
EvalOutcome Evaluate(const Query& query, const RecordView& record, std::string* row);

// True when the JSON text's bracket nesting stays within `max_depth` (strings skipped).
// Bounds the work and recursion of parsing and serialising untrusted values.
bool JsonDepthWithin(ByteSpan json, size_t max_depth);

// LIKE matching, exposed for tests: '%' matches any run of bytes, '_' exactly one.
bool LikeMatch(std::string_view subject, std::string_view pattern);

}  // namespace dlog::api
