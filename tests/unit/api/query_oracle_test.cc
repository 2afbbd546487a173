// Naive-oracle test of the query evaluator: random records and random conditions, each
// decided both by Evaluate (through the parser, on JSON text, with nlohmann's model)
// and by a deliberately plain reference written here over the test's own value tree.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "api/query_eval.h"
#include "api/query_parser.h"

namespace dlog::api {
namespace {

// The test's own JSON model.
struct V {
  enum K { kNull, kBool, kInt, kDouble, kStr, kArr, kObj } k = kNull;
  bool b = false;
  long long i = 0;
  double d = 0;
  std::string s;
  std::vector<V> items;            // kArr
  std::vector<std::string> names;  // kObj: unique member names …
  std::vector<V> members;          // … and their values
};

const char* kNames[] = {"a", "b", "c", "d"};
const char* kStrings[] = {"", "x", "xy", "y", "x%y", "yx"};

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(uint64_t seed) : rng(seed) {}
  int Pick(int n) { return int(rng() % uint64_t(n)); }

  V Scalar() {
    V v;
    switch (Pick(5)) {
      case 0:
        v.k = V::kNull;
        break;
      case 1:
        v.k = V::kBool;
        v.b = Pick(2);
        break;
      case 2:
        v.k = V::kInt;
        v.i = Pick(7) - 3;
        break;
      case 3:
        v.k = V::kDouble;
        v.d = (Pick(7) - 3) * 0.5;
        break;
      default:
        v.k = V::kStr;
        v.s = kStrings[Pick(6)];
        break;
    }
    return v;
  }

  V Value(int depth) {
    int r = Pick(10);
    if (depth > 0 && r < 3) return Object(depth - 1);
    if (depth > 0 && r < 4) {
      V v;
      v.k = V::kArr;
      for (int n = Pick(4); n > 0; --n) v.items.push_back(Scalar());
      return v;
    }
    return Scalar();
  }

  V Object(int depth) {
    V v;
    v.k = V::kObj;
    for (const char* name : kNames) {
      if (Pick(3) != 0) {
        v.names.push_back(name);
        v.members.push_back(Value(depth));
      }
    }
    return v;
  }
};

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\\\"") : std::string(1, c);
  return out + "\"";
}

std::string ToJson(const V& v) {
  char buf[32];
  switch (v.k) {
    case V::kNull:
      return "null";
    case V::kBool:
      return v.b ? "true" : "false";
    case V::kInt:
      return std::to_string(v.i);
    case V::kDouble:
      snprintf(buf, sizeof buf, "%.1f", v.d);
      return buf;
    case V::kStr:
      return Quote(v.s);
    case V::kArr: {
      std::string out = "[";
      for (size_t i = 0; i < v.items.size(); ++i) out += (i ? "," : "") + ToJson(v.items[i]);
      return out + "]";
    }
    case V::kObj: {
      std::string out = "{";
      for (size_t i = 0; i < v.names.size(); ++i) {
        out += (i ? "," : "") + Quote(v.names[i]) + ":" + ToJson(v.members[i]);
      }
      return out + "}";
    }
  }
  return "";
}

const V* Find(const V& root, const std::vector<std::string>& path) {
  const V* cur = &root;
  for (const std::string& name : path) {
    if (cur->k != V::kObj) return nullptr;
    const V* next = nullptr;
    for (size_t i = 0; i < cur->names.size(); ++i) {
      if (cur->names[i] == name) next = &cur->members[i];
    }
    if (!next) return nullptr;
    cur = next;
  }
  return cur;
}

// A condition as the test builds it: the literal is itself a scalar V.
struct Cond {
  std::vector<std::string> path;  // empty with meta set
  std::string meta;               // "_offset" etc., or ""
  std::string op;
  V literal;
};

// Recursive LIKE, unlike the evaluator's iterative one.
bool RefLike(const char* s, const char* p) {
  if (*p == '\0') return *s == '\0';
  if (*p == '%') return RefLike(s, p + 1) || (*s != '\0' && RefLike(s + 1, p));
  if (*s == '\0') return false;
  return (*p == '_' || *p == *s) && RefLike(s + 1, p + 1);
}

bool IsNum(const V& v) { return v.k == V::kInt || v.k == V::kDouble; }
long double Num(const V& v) { return v.k == V::kInt ? (long double)v.i : (long double)v.d; }

bool RefCompare(const V* f, const std::string& op, const V& lit) {
  if (lit.k == V::kNull) {
    bool absent = f == nullptr || f->k == V::kNull;
    return op == "=" ? absent : op == "!=" ? !absent : false;
  }
  if (f == nullptr) return false;
  if (op == "LIKE") return f->k == V::kStr && RefLike(f->s.c_str(), lit.s.c_str());
  if (op == "CONTAINS") {
    if (f->k == V::kStr && lit.k == V::kStr) return f->s.find(lit.s) != std::string::npos;
    if (f->k != V::kArr) return false;
    for (const V& e : f->items) {
      if (RefCompare(&e, "=", lit)) return true;
    }
    return false;
  }
  int sign;
  if (IsNum(*f) && IsNum(lit)) {
    sign = Num(*f) < Num(lit) ? -1 : Num(*f) > Num(lit) ? 1 : 0;
  } else if (f->k == V::kStr && lit.k == V::kStr) {
    sign = f->s < lit.s ? -1 : f->s > lit.s ? 1 : 0;
  } else if (f->k == V::kBool && lit.k == V::kBool) {
    if (op == "=") return f->b == lit.b;
    if (op == "!=") return f->b != lit.b;
    return false;
  } else {
    return false;
  }
  if (op == "=") return sign == 0;
  if (op == "!=") return sign != 0;
  if (op == "<") return sign < 0;
  if (op == "<=") return sign <= 0;
  if (op == ">") return sign > 0;
  return sign >= 0;
}

std::string LiteralText(const V& v) {
  switch (v.k) {
    case V::kNull:
      return "NULL";
    case V::kBool:
      return v.b ? "true" : "FALSE";
    case V::kStr: {
      std::string out = "'";
      for (char c : v.s) out += c == '\'' ? "''" : std::string(1, c);
      return out + "'";
    }
    default:
      return ToJson(v);
  }
}

TEST(QueryOracleTest, RandomRecordsAndConditionsAgreeWithTheReference) {
  const char* ops[] = {"=", "!=", "<", "<=", ">", ">=", "LIKE", "CONTAINS"};
  uint64_t matched = 0, not_object = 0, total = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Gen g(seed);
    for (int trial = 0; trial < 250; ++trial) {
      // The record: mostly objects, sometimes other JSON or broken text.
      V value = g.Object(2);
      std::string text = ToJson(value);
      bool object = true;
      if (g.Pick(10) == 0) {
        object = false;
        text = g.Pick(2) ? ToJson(g.Scalar()) : text.substr(0, text.size() / 2);
        if (text == "{}") text = "[";  // half of "{}" stays an object; keep it broken
      }
      uint64_t offset = uint64_t(g.Pick(5));
      uint32_t partition = uint32_t(g.Pick(3));
      int64_t timestamp = 1000 + g.Pick(3);
      std::string key = kStrings[g.Pick(6)];

      std::vector<Cond> conds(size_t(1 + g.Pick(2)));
      std::string q = "SELECT a, b.c, _offset FROM t/r WHERE ";
      bool expect = true;
      for (size_t i = 0; i < conds.size(); ++i) {
        Cond& c = conds[i];
        c.op = ops[g.Pick(8)];
        if (g.Pick(6) == 0) {
          const char* metas[] = {"_offset", "_partition", "_timestamp", "_key"};
          c.meta = metas[g.Pick(4)];
        } else {
          c.path.push_back(kNames[g.Pick(4)]);
          if (g.Pick(3) == 0) c.path.push_back(kNames[g.Pick(4)]);
        }
        c.literal = g.Scalar();
        const V* present = c.meta.empty() ? Find(value, c.path) : nullptr;
        if (present && present->k != V::kObj && present->k != V::kArr && g.Pick(2) == 0) {
          c.literal = *present;  // bias towards values the record holds, so matches occur
          if (c.op != "LIKE" && g.Pick(2) == 0)
            c.op = std::vector<std::string>{"=", "<=", ">="}[g.Pick(3)];
        }
        if (c.op == "LIKE") {
          c.literal.k = V::kStr;
          c.literal.s = std::vector<std::string>{"x%", "%y", "_", "%", "x_", ""}[g.Pick(6)];
        }
        if (c.meta == "_offset" && c.literal.k == V::kInt)
          c.literal.i = (long long)offset + g.Pick(3) - 1;
        std::string field = c.meta;
        for (size_t j = 0; j < c.path.size(); ++j) field += (j ? "." : "") + c.path[j];
        q += (i ? " AND " : "") + field + " " + c.op + " " + LiteralText(c.literal);

        V meta_value;
        const V* f;
        if (c.meta.empty()) {
          f = Find(value, c.path);
        } else {
          if (c.meta == "_key") {
            meta_value.k = V::kStr;
            meta_value.s = key;
          } else {
            meta_value.k = V::kInt;
            meta_value.i = c.meta == "_offset"      ? (long long)offset
                           : c.meta == "_partition" ? partition
                                                    : timestamp;
          }
          f = &meta_value;
        }
        expect = expect && RefCompare(f, c.op, c.literal);
      }

      ParsedQuery parsed = ParseQuery(q);
      ASSERT_TRUE(std::holds_alternative<Query>(parsed))
          << q << ": " << std::get<QueryError>(parsed).message;
      RecordView r{partition, offset, timestamp, AsBytes(key), AsBytes(text)};
      std::string row;
      EvalOutcome got = Evaluate(std::get<Query>(parsed), r, &row);
      ++total;
      if (!object) {
        ASSERT_EQ(got, EvalOutcome::kNotObject) << text;
        ++not_object;
        continue;
      }
      ASSERT_EQ(got == EvalOutcome::kMatch, expect)
          << "seed " << seed << " trial " << trial << "\nquery: " << q << "\nvalue: " << text
          << "\nkey: " << key << " offset " << offset << " partition " << partition;
      if (!expect) continue;
      ++matched;
      nlohmann::json projected = nlohmann::json::parse(row);
      const V* a = Find(value, {"a"});
      const V* bc = Find(value, {"b", "c"});
      EXPECT_EQ(projected["a"], nlohmann::json::parse(a ? ToJson(*a) : "null")) << row;
      EXPECT_EQ(projected["b.c"], nlohmann::json::parse(bc ? ToJson(*bc) : "null")) << row;
      EXPECT_EQ(projected["_offset"], offset);
    }
  }
  // The generator exercises both outcomes substantially.
  EXPECT_GT(matched, total / 20);
  EXPECT_LT(matched, total - total / 5);
  EXPECT_GT(not_object, total / 20);
}

}  // namespace
}  // namespace dlog::api
