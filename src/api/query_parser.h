// Recursive-descent parser of the query language (grammar in docs/QUERY.md):
//
//   query     := SELECT items FROM log [WHERE predicate {AND predicate}] [LIMIT integer] [;]
//   items     := item {, item}            item  := * | field
//   field     := segment {. segment}      segment := identifier | "quoted"
//   predicate := field op literal         op    := = | != | <> | < | <= | > | >= | LIKE | CONTAINS
//   literal   := number | 'string' | TRUE | FALSE | NULL
//   log       := namespace/name | name (namespace "default") | "quoted"
//
// Keywords are case-insensitive; field names are case-sensitive. An unquoted field named
// _offset, _key, _timestamp or _partition is the record's metadata; quote it ("_key")
// for a JSON member of that name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "api/query_ast.h"

namespace dlog::api {

inline constexpr size_t kMaxQueryTextBytes = 4096;
inline constexpr size_t kMaxPredicates = 32;
inline constexpr size_t kMaxSelectFields = 64;
inline constexpr size_t kMaxPathDepth = 16;
inline constexpr uint64_t kMaxLimit = 1000000;
inline constexpr char kDefaultNamespace[] = "default";

struct QueryError {
  uint32_t column = 0;  // 1-based byte column where the problem is
  std::string message;  // says what was expected, and where: "expected FROM at column 10 …"
};

using ParsedQuery = std::variant<Query, QueryError>;

ParsedQuery ParseQuery(std::string_view text);

}  // namespace dlog::api
