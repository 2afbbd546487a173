// Value: a parsed TOML value with the place it came from, independent of the TOML parser,
// so the schema reads files, environment variables and flags the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dlog::config {

// Where a value or key was written. line == 0: no position (a variable or a flag's value
// that is not itself TOML).
struct Location {
  uint32_t line = 0;
  uint32_t column = 0;
};

struct Field;

struct Value {
  enum class Type { kBool, kInt, kFloat, kString, kArray, kTable, kDateTime };

  Type type = Type::kTable;
  Location at;
  bool boolean = false;
  int64_t integer = 0;
  double floating = 0;
  std::string string;         // kString; kDateTime: its text
  std::vector<Value> items;   // kArray
  std::vector<Field> fields;  // kTable, in the order written

  static Value Bool(bool b, Location at = {});
  static Value Int(int64_t i, Location at = {});
  static Value Float(double f, Location at = {});
  static Value String(std::string s, Location at = {});
  static Value Array(std::vector<Value> items, Location at = {});
};

struct Field {
  std::string key;
  Location at;  // of the key
  Value value;
};

// What the user wrote, for "got …" in messages: true, 70000, "fast", [300, 200], a table.
// Strings and arrays are cut to a readable length.
std::string Describe(const Value& v);

// A TOML basic string literal of `s`, with quotes and escapes.
std::string QuoteToml(std::string_view s);

}  // namespace dlog::config
