// Helpers shared by the log layer's tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/rng.h"
#include "log/record.h"

namespace dlog::log::testing {

// The value of a Result that must be OK (aborts the test binary otherwise).
template <typename T>
T Take(Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error();
    std::abort();
  }
  return std::move(r.value());
}

inline Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }

inline Record MakeRecord(const std::string& key, const std::string& value, int64_t ts = 1000) {
  Record r;
  r.key = B(key);
  r.value = B(value);
  r.timestamp_ms = ts;
  return r;
}

// `n` records whose contents name `tag` and their index, with one header each.
inline std::vector<Record> MakeRecords(size_t n, const std::string& tag, int64_t ts = 1000) {
  std::vector<Record> out;
  for (size_t i = 0; i < n; ++i) {
    Record r = MakeRecord(tag + "-k" + std::to_string(i), tag + "-value-" + std::to_string(i), ts);
    r.headers.push_back({"h", B(std::to_string(i))});
    out.push_back(std::move(r));
  }
  return out;
}

// Random records from a seeded generator: sizes 0..max_value, 0..2 headers.
inline std::vector<Record> RandomRecords(Rng& rng, size_t n, size_t max_value) {
  std::vector<Record> out(n);
  for (Record& r : out) {
    r.key.resize(rng.Uniform(16));
    rng.Fill(r.key);
    r.value.resize(rng.Uniform(uint32_t(max_value) + 1));
    rng.Fill(r.value);
    for (uint32_t h = rng.Uniform(3); h > 0; --h)
      r.headers.push_back({"x" + std::to_string(h), B("v")});
    r.timestamp_ms = 1'700'000'000'000 + rng.Uniform(1000);
  }
  return out;
}

}  // namespace dlog::log::testing
