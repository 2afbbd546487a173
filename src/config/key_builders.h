// Builders of schema keys, one per kind of value (schema.cc uses them). Each takes `field`,
// a generic lambda `[](auto& c) -> auto& { return c.network.api_port; }` that names the
// member in a Target, const or not, and gives a KeySpec that decodes into it, writes it
// back as TOML and states the expected form.
#pragma once

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/net_forms.h"
#include "config/schema.h"
#include "config/suggest.h"
#include "config/units.h"

namespace dlog::config::keys {

inline constexpr size_t kMaxListItems = 256;  // seeds, stock_peers

using Type = Value::Type;

template <typename T>
KeySpec<T> Spec(std::string path, Kind kind, std::string type, std::string expected,
                std::string meaning) {
  KeySpec<T> k;
  k.path = std::move(path);
  k.kind = kind;
  k.type = std::move(type);
  k.expected = std::move(expected);
  k.meaning = std::move(meaning);
  return k;
}

template <typename T, typename F>
KeySpec<T> BoolKey(std::string path, std::string meaning, F field) {
  auto k = Spec<T>(std::move(path), Kind::kBool, "boolean", "true or false", std::move(meaning));
  k.set = [field](T& t, const Value& v) {
    if (v.type != Type::kBool) return Check::Bad();
    field(t) = v.boolean;
    return Check::Ok();
  };
  k.get = [field](const T& t) -> std::optional<std::string> { return field(t) ? "true" : "false"; };
  return k;
}

template <typename T, typename F>
KeySpec<T> IntKey(std::string path, std::string meaning, F field, int64_t lo, int64_t hi,
                  std::string type = "integer") {
  auto k = Spec<T>(std::move(path), Kind::kInt, std::move(type),
                   "an integer from " + std::to_string(lo) + " to " + std::to_string(hi),
                   std::move(meaning));
  k.set = [field, lo, hi](T& t, const Value& v) {
    if (v.type != Type::kInt || v.integer < lo || v.integer > hi) return Check::Bad();
    field(t) = static_cast<std::remove_reference_t<decltype(field(t))>>(v.integer);
    return Check::Ok();
  };
  k.get = [field](const T& t) -> std::optional<std::string> { return std::to_string(field(t)); };
  return k;
}

template <typename T, typename F>
KeySpec<T> PortKey(std::string path, std::string meaning, F field) {
  return IntKey<T>(std::move(path), std::move(meaning), field, 1, 65535, "port");
}

template <typename T, typename F>
KeySpec<T> FloatKey(std::string path, std::string meaning, F field, double lo, double hi) {
  auto k =
      Spec<T>(std::move(path), Kind::kFloat, "number",
              "a number from " + Describe(Value::Float(lo)) + " to " + Describe(Value::Float(hi)),
              std::move(meaning));
  k.set = [field, lo, hi](T& t, const Value& v) {
    const double d = v.type == Type::kInt ? double(v.integer) : v.floating;
    if ((v.type != Type::kInt && v.type != Type::kFloat) || !std::isfinite(d) || d < lo || d > hi)
      return Check::Bad();
    field(t) = d;
    return Check::Ok();
  };
  k.get = [field](const T& t) -> std::optional<std::string> {
    return Describe(Value::Float(field(t)));
  };
  return k;
}

template <typename T, typename F, typename Valid>
KeySpec<T> TextKey(std::string path, std::string meaning, F field, Valid valid,
                   std::string expected) {
  auto k =
      Spec<T>(std::move(path), Kind::kString, "string", std::move(expected), std::move(meaning));
  k.set = [field, valid](T& t, const Value& v) {
    if (v.type != Type::kString || !valid(std::string_view(v.string))) return Check::Bad();
    field(t) = v.string;
    return Check::Ok();
  };
  k.get = [field](const T& t) -> std::optional<std::string> { return QuoteToml(field(t)); };
  return k;
}

template <typename E>
using EnumNames = std::vector<std::pair<std::string, E>>;

// "a" or "b"; one of "a", "b" or "c".
inline std::string OneOf(const std::vector<std::string>& names) {
  std::string out = names.size() > 2 ? "one of " : "";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += QuoteToml(names[i]);
  }
  return out;
}

// `names`: canonical names (as Name() gives them) first, then aliases.
template <typename T, typename E, typename F>
KeySpec<T> EnumKey(std::string path, std::string meaning, F field, EnumNames<E> names,
                   size_t canonical) {
  std::vector<std::string> all, main;
  for (size_t i = 0; i < names.size(); ++i) {
    all.push_back(names[i].first);
    if (i < canonical) main.push_back(names[i].first);
  }
  std::string expected = OneOf(main);
  if (canonical < names.size()) {
    expected += " (also";
    for (size_t i = canonical; i < all.size(); ++i)
      expected += (i > canonical ? ", " : " ") + QuoteToml(all[i]);
    expected += ")";
  }
  auto k = Spec<T>(std::move(path), Kind::kEnum, "string", expected, std::move(meaning));
  k.choices = all;
  k.set = [field, names, all](T& t, const Value& v) {
    if (v.type != Type::kString) return Check::Bad();
    for (const auto& [name, value] : names) {
      if (v.string != name) continue;
      field(t) = value;
      return Check::Ok();
    }
    std::optional<std::string> near = Suggest(v.string, all);
    return Check::Bad(near ? "did you mean " + QuoteToml(*near) + "?" : "");
  };
  k.get = [field](const T& t) -> std::optional<std::string> {
    return QuoteToml(std::string(Name(field(t))));
  };
  return k;
}

template <typename T, typename F>
KeySpec<T> DurationKey(std::string path, std::string meaning, F field, Duration lo, Duration hi,
                       std::string examples = "\"2m\", \"90s\" or \"1h30m\"") {
  auto k = Spec<T>(
      std::move(path), Kind::kDuration, "duration",
      "a duration like " + examples + ", from " + FormatDuration(lo) + " to " + FormatDuration(hi),
      std::move(meaning));
  k.set = [field, lo, hi](T& t, const Value& v) {
    if (v.type != Type::kString) return Check::Bad();
    std::optional<Duration> d = ParseDuration(v.string);
    if (!d || *d < lo || *d > hi) return Check::Bad();
    field(t) = *d;
    return Check::Ok();
  };
  k.get = [field](const T& t) -> std::optional<std::string> {
    return QuoteToml(FormatDuration(field(t)));
  };
  return k;
}

template <typename T, typename F>
KeySpec<T> RateKey(std::string path, std::string meaning, F field, uint64_t lo, uint64_t hi) {
  auto k = Spec<T>(std::move(path), Kind::kRate, "rate",
                   "a rate like \"10mbit\", \"512kbit\" or \"1gbit\" (bytes: \"10mb\"), from " +
                       FormatRate(lo) + " to " + FormatRate(hi),
                   std::move(meaning));
  k.set = [field, lo, hi](T& t, const Value& v) {
    if (v.type != Type::kString) return Check::Bad();
    std::optional<uint64_t> r = ParseRate(v.string);
    if (!r || *r < lo || *r > hi) return Check::Bad();
    field(t) = *r;
    return Check::Ok();
  };
  k.get = [field](const T& t) -> std::optional<std::string> {
    return QuoteToml(FormatRate(field(t)));
  };
  return k;
}

// [lo, hi] with min ≤ lo ≤ hi ≤ max; `lo_field` and `hi_field` receive them.
template <typename T, typename F, typename G>
KeySpec<T> PairKey(std::string path, std::string meaning, F lo_field, G hi_field, int64_t min,
                   int64_t max, std::string example) {
  auto k = Spec<T>(std::move(path), Kind::kIntPair, "[integer, integer]",
                   "[min, max] with " + std::to_string(min) + " ≤ min ≤ max ≤ " +
                       std::to_string(max) + ", like " + example,
                   std::move(meaning));
  k.set = [lo_field, hi_field, min, max](T& t, const Value& v) {
    if (v.type != Type::kArray || v.items.size() != 2) return Check::Bad();
    const Value &a = v.items[0], &b = v.items[1];
    if (a.type != Type::kInt || b.type != Type::kInt) return Check::Bad();
    if (a.integer < min || b.integer > max) return Check::Bad();
    if (a.integer > b.integer) return Check::Bad("min is greater than max");
    using Lo = std::remove_reference_t<decltype(lo_field(t))>;
    using Hi = std::remove_reference_t<decltype(hi_field(t))>;
    lo_field(t) = static_cast<Lo>(a.integer);
    hi_field(t) = static_cast<Hi>(b.integer);
    return Check::Ok();
  };
  k.get = [lo_field, hi_field](const T& t) -> std::optional<std::string> {
    return "[" + std::to_string(lo_field(t)) + ", " + std::to_string(hi_field(t)) + "]";
  };
  return k;
}

template <typename T, typename F, typename Valid>
KeySpec<T> ListKey(std::string path, std::string meaning, F field, Valid valid,
                   std::string expected) {
  auto k = Spec<T>(std::move(path), Kind::kStringList, "array of strings", std::move(expected),
                   std::move(meaning));
  k.set = [field, valid](T& t, const Value& v) {
    if (v.type != Type::kArray || v.items.size() > kMaxListItems) return Check::Bad();
    std::vector<std::string> out;
    for (const Value& item : v.items) {
      if (item.type != Type::kString || !valid(std::string_view(item.string)))
        return Check::Bad(Describe(item) + " is not of that form");
      out.push_back(item.string);
    }
    field(t) = std::move(out);
    return Check::Ok();
  };
  k.get = [field](const T& t) -> std::optional<std::string> {
    std::string out = "[";
    for (size_t i = 0; i < field(t).size(); ++i) out += (i ? ", " : "") + QuoteToml(field(t)[i]);
    return out + "]";
  };
  return k;
}

// A prefix of `family` with a length in [lo, hi]; `optional`: "" means none.
template <typename F>
Key CidrKey(std::string path, std::string meaning, F field, Family family, int lo, int hi,
            bool optional) {
  const bool v4 = family == Family::kIpv4;
  std::string expected = std::string(v4 ? "an IPv4 prefix like \"10.0.0.0/24\""
                                        : "an IPv6 prefix like \"fd00:d10::/64\"") +
                         " (length " + std::to_string(lo) + " to " + std::to_string(hi) +
                         ", host bits zero)" + (optional ? ", or \"\" for none" : "");
  auto k = Spec<Config>(std::move(path), Kind::kString, "string", std::move(expected),
                        std::move(meaning));
  k.set = [field, family, lo, hi, optional](Config& c, const Value& v) {
    if (v.type != Type::kString) return Check::Bad();
    std::string network;
    if ((optional && v.string.empty()) || IsCidr(v.string, family, lo, hi, &network)) {
      field(c) = v.string;
      return Check::Ok();
    }
    return Check::Bad(network.empty() ? "" : "did you mean " + QuoteToml(network) + "?");
  };
  k.get = [field](const Config& c) -> std::optional<std::string> { return QuoteToml(field(c)); };
  return k;
}

}  // namespace dlog::config::keys
