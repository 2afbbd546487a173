// libFuzzer target: the query parser and evaluator.
//
// Input: query text, optionally followed by a 0x00 byte and a record value (JSON text).
// Without a value, a fixed record is used (nested objects, arrays, numbers at the edges,
// strings, null). Invariants (a violation aborts):
//  - ParseQuery never crashes; an error has a column in [1, length + 1] and a message;
//  - a parsed query respects the bounds (predicates, fields, path depth, LIMIT);
//  - Evaluate is deterministic, and a match projects a row that parses as a JSON object
//    holding every selected field.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/query_eval.h"
#include "api/query_parser.h"

using namespace dlog;
using namespace dlog::api;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view kFixedValue =
    R"({"a":{"b":{"c":3}},"n":-9223372036854775808,"u":18446744073709551615,"f":2.5,)"
    R"("s":"hello world","t":true,"z":null,"arr":[1,"x",false,null,{"k":1}],"_offset":"m"})";

void CheckQuery(const Query& q) {
  Check(q.where.size() <= kMaxPredicates);
  Check(q.fields.size() <= kMaxSelectFields);
  Check(!q.limit || *q.limit <= kMaxLimit);
  for (const FieldPath& f : q.fields) Check(f.path.size() <= kMaxPathDepth);
  Check(q.select_all || !q.fields.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view text = input;
  std::string_view value = kFixedValue;
  if (size_t nul = input.find('\0'); nul != std::string_view::npos) {
    text = input.substr(0, nul);
    value = input.substr(nul + 1);
  }
  ParsedQuery parsed = ParseQuery(text);
  if (const QueryError* e = std::get_if<QueryError>(&parsed)) {
    Check(e->column >= 1 && e->column <= text.size() + 1 && !e->message.empty());
    return 0;
  }
  const Query& q = std::get<Query>(parsed);
  CheckQuery(q);
  const uint8_t key[] = {'k', 0xff, 0};
  RecordView record{7, 1234, 1700000000000, ByteSpan(key, sizeof key), AsBytes(value)};
  std::string row1, row2;
  EvalOutcome first = Evaluate(q, record, &row1);
  EvalOutcome second = Evaluate(q, record, &row2);
  Check(first == second && row1 == row2);
  if (first != EvalOutcome::kMatch) return 0;
  nlohmann::ordered_json row = nlohmann::ordered_json::parse(row1, nullptr, false);
  Check(row.is_object());
  for (const FieldPath& f : q.fields) Check(row.contains(f.text));
  return 0;
}
