// "Did you mean" by edit distance.
#include "config/suggest.h"

#include <gtest/gtest.h>

namespace dlog::config {
namespace {

TEST(SuggestTest, EditDistance) {
  EXPECT_EQ(EditDistance("listen_port", "listen_port", 3), 0u);
  EXPECT_EQ(EditDistance("listen_prot", "listen_port", 3), 1u);  // a swap counts one
  EXPECT_EQ(EditDistance("listn_port", "listen_port", 3), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting", 5), 3u);
  EXPECT_EQ(EditDistance("LISTEN", "listen", 3), 0u);
  EXPECT_EQ(EditDistance("a", "abcdefgh", 3), 4u);  // capped at cap + 1
  EXPECT_EQ(EditDistance("", "", 0), 0u);
}

TEST(SuggestTest, EditDistanceAgreesWithANaiveRecursion) {
  // The textbook recursion (without the swap), on short words: an upper bound that the
  // swap can only lower by the number of swaps.
  std::function<size_t(std::string_view, std::string_view)> naive =
      [&](std::string_view a, std::string_view b) -> size_t {
    if (a.empty()) return b.size();
    if (b.empty()) return a.size();
    if (a[0] == b[0]) return naive(a.substr(1), b.substr(1));
    return 1 + std::min(
                   {naive(a.substr(1), b), naive(a, b.substr(1)), naive(a.substr(1), b.substr(1))});
  };
  const char* words[] = {"", "a", "ab", "ba", "abc", "acb", "bca", "port", "prot", "pot"};
  for (const char* a : words)
    for (const char* b : words) {
      const size_t fast = EditDistance(a, b, 10), slow = naive(a, b);
      EXPECT_LE(fast, slow) << a << " " << b;
      EXPECT_GE(fast + 1, slow) << a << " " << b;  // at most one swap in these words
    }
}

TEST(SuggestTest, SuggestsOnlyNearCandidates) {
  const std::vector<std::string> keys = {"enabled", "listen_port", "quantum_resistant"};
  EXPECT_EQ(Suggest("listen_prot", keys), "listen_port");
  EXPECT_EQ(Suggest("quantum_resistent", keys), "quantum_resistant");
  EXPECT_EQ(Suggest("Enabled", keys), "enabled");
  EXPECT_EQ(Suggest("colour", keys), std::nullopt);
  EXPECT_EQ(Suggest("port", keys), std::nullopt);
  EXPECT_EQ(Suggest("", keys), std::nullopt);
}

}  // namespace
}  // namespace dlog::config
