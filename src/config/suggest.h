// "Did you mean …?" for misspelled keys, tables, enum values and variables.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlog::config {

// Levenshtein distance (insert, delete, substitute; an adjacent swap counts 1), capped:
// any distance above `cap` is reported as cap + 1.
size_t EditDistance(std::string_view a, std::string_view b, size_t cap);

// The candidate nearest to `word`, if it is near enough to be a likely typo: within
// max(1, length / 3) edits, ties going to the first. Case is ignored.
std::optional<std::string> Suggest(std::string_view word,
                                   const std::vector<std::string>& candidates);

}  // namespace dlog::config
