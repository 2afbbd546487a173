#include "api/query_eval.h"

#include <nlohmann/json.hpp>
#include <string_view>

namespace dlog::api {
namespace {

using Json = nlohmann::ordered_json;

// A field's value as the comparison rules see it.
struct Operand {
  enum class Kind : uint8_t { kMissing, kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kMissing;
  bool boolean = false;
  Number number;
  std::string_view string;
  const Json* json = nullptr;  // kArray
};

Number FromUnsigned(uint64_t v) {
  Number n;
  if (v <= uint64_t(INT64_MAX)) {
    n.i = int64_t(v);
  } else {
    n.kind = Number::Kind::kUint;
    n.u = v;
  }
  return n;
}

Number FromSigned(int64_t v) {
  Number n;
  n.i = v;
  return n;
}

Operand FromJson(const Json* j) {
  Operand o;
  if (j == nullptr) return o;
  switch (j->type()) {
    case Json::value_t::null:
      o.kind = Operand::Kind::kNull;
      break;
    case Json::value_t::boolean:
      o.kind = Operand::Kind::kBool;
      o.boolean = j->get<bool>();
      break;
    case Json::value_t::number_integer:
      o.kind = Operand::Kind::kNumber;
      o.number = FromSigned(j->get<int64_t>());
      break;
    case Json::value_t::number_unsigned:
      o.kind = Operand::Kind::kNumber;
      o.number = FromUnsigned(j->get<uint64_t>());
      break;
    case Json::value_t::number_float:
      o.kind = Operand::Kind::kNumber;
      o.number.kind = Number::Kind::kDouble;
      o.number.d = j->get<double>();
      break;
    case Json::value_t::string:
      o.kind = Operand::Kind::kString;
      o.string = j->get_ref<const std::string&>();
      break;
    case Json::value_t::array:
      o.kind = Operand::Kind::kArray;
      o.json = j;
      break;
    default:
      o.kind = Operand::Kind::kObject;
      break;
  }
  return o;
}

double AsDouble(const Number& n) {
  switch (n.kind) {
    case Number::Kind::kInt:
      return double(n.i);
    case Number::Kind::kUint:
      return double(n.u);
    case Number::Kind::kDouble:
      return n.d;
  }
  return 0;
}

template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Numbers are normalised: kUint only above INT64_MAX.
int CompareNumbers(const Number& a, const Number& b) {
  using K = Number::Kind;
  if (a.kind == K::kDouble || b.kind == K::kDouble) return Cmp(AsDouble(a), AsDouble(b));
  if (a.kind == K::kInt && b.kind == K::kInt) return Cmp(a.i, b.i);
  if (a.kind == K::kUint && b.kind == K::kUint) return Cmp(a.u, b.u);
  return a.kind == K::kInt ? -1 : 1;  // every kInt is below every kUint
}

bool OrderHolds(int cmp, CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return cmp == 0;
    case CompareOp::kNe:
      return cmp != 0;
    case CompareOp::kLt:
      return cmp < 0;
    case CompareOp::kLe:
      return cmp <= 0;
    case CompareOp::kGt:
      return cmp > 0;
    case CompareOp::kGe:
      return cmp >= 0;
    default:
      return false;
  }
}

bool Holds(const Operand& f, CompareOp op, const Literal& lit);

bool ContainsHolds(const Operand& f, const Literal& lit) {
  if (f.kind == Operand::Kind::kString && lit.kind == Literal::Kind::kString) {
    return f.string.find(lit.string) != std::string_view::npos;
  }
  if (f.kind != Operand::Kind::kArray) return false;
  for (const Json& element : *f.json) {
    if (Holds(FromJson(&element), CompareOp::kEq, lit)) return true;
  }
  return false;
}

bool Holds(const Operand& f, CompareOp op, const Literal& lit) {
  using K = Operand::Kind;
  if (lit.kind == Literal::Kind::kNull) {
    bool absent = f.kind == K::kMissing || f.kind == K::kNull;
    if (op == CompareOp::kEq) return absent;
    if (op == CompareOp::kNe) return !absent;
    return false;
  }
  if (op == CompareOp::kLike) return f.kind == K::kString && LikeMatch(f.string, lit.string);
  if (op == CompareOp::kContains) return ContainsHolds(f, lit);
  if (f.kind == K::kNumber && lit.kind == Literal::Kind::kNumber) {
    return OrderHolds(CompareNumbers(f.number, lit.number), op);
  }
  if (f.kind == K::kString && lit.kind == Literal::Kind::kString) {
    return OrderHolds(f.string.compare(lit.string), op);
  }
  if (f.kind == K::kBool && lit.kind == Literal::Kind::kBool) {
    if (op == CompareOp::kEq) return f.boolean == lit.boolean;
    if (op == CompareOp::kNe) return f.boolean != lit.boolean;
  }
  return false;
}

const Json* Lookup(const Json& value, const std::vector<std::string>& path) {
  const Json* cur = &value;
  for (const std::string& segment : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(segment);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string_view KeyText(const RecordView& r) {
  return {reinterpret_cast<const char*>(r.key.data()), r.key.size()};
}

Operand MetaOperand(MetaField meta, const RecordView& r) {
  Operand o;
  o.kind = Operand::Kind::kNumber;
  switch (meta) {
    case MetaField::kOffset:
      o.number = FromUnsigned(r.offset);
      break;
    case MetaField::kPartition:
      o.number = FromUnsigned(r.partition);
      break;
    case MetaField::kTimestamp:
      o.number = FromSigned(r.timestamp_ms);
      break;
    case MetaField::kKey:
      o.kind = Operand::Kind::kString;
      o.string = KeyText(r);
      break;
    case MetaField::kNone:
      o.kind = Operand::Kind::kMissing;
      break;
  }
  return o;
}

Json MetaJson(MetaField meta, const RecordView& r) {
  switch (meta) {
    case MetaField::kOffset:
      return Json(r.offset);
    case MetaField::kPartition:
      return Json(r.partition);
    case MetaField::kTimestamp:
      return Json(r.timestamp_ms);
    case MetaField::kKey:
      return Json(std::string(KeyText(r)));
    case MetaField::kNone:
      break;
  }
  return Json();
}

std::string Project(const Query& q, const Json& value, const RecordView& r) {
  Json row = q.select_all ? value : Json::object();
  for (const FieldPath& f : q.fields) {
    if (f.meta != MetaField::kNone) {
      row[f.text] = MetaJson(f.meta, r);
    } else {
      const Json* v = Lookup(value, f.path);
      row[f.text] = v ? *v : Json();
    }
  }
  return row.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

bool JsonDepthWithin(ByteSpan json, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    uint8_t c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// Greedy matching with backtracking to the last '%': O(|subject| × |pattern|) worst case.
bool LikeMatch(std::string_view s, std::string_view p) {
  size_t si = 0, pi = 0;
  size_t star = std::string_view::npos, star_si = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '_' || (p[pi] != '%' && p[pi] == s[si]))) {
      ++si;
      ++pi;
    } else if (pi < p.size() && p[pi] == '%') {
      star = pi++;
      star_si = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++star_si;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

EvalOutcome Evaluate(const Query& query, const RecordView& record, std::string* row) {
  if (!JsonDepthWithin(record.value, kMaxJsonDepth)) return EvalOutcome::kNotObject;
  Json value = Json::parse(record.value.begin(), record.value.end(), nullptr,
                           /*allow_exceptions=*/false);
  if (!value.is_object()) return EvalOutcome::kNotObject;  // also a parse failure (discarded)
  for (const Predicate& p : query.where) {
    Operand f = p.field.meta != MetaField::kNone ? MetaOperand(p.field.meta, record)
                                                 : FromJson(Lookup(value, p.field.path));
    if (!Holds(f, p.op, p.value)) return EvalOutcome::kNoMatch;
  }
  if (row) *row = Project(query, value, record);
  return EvalOutcome::kMatch;
}

}  // namespace dlog::api
