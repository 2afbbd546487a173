// The key reference of docs/CONFIG.md, generated from the schema, so the two cannot drift
// (a test compares them).
#pragma once

#include <string>
#include <string_view>

namespace dlog::config {

// Markers around the generated part of docs/CONFIG.md.
inline constexpr std::string_view kReferenceBegin = "<!-- BEGIN GENERATED: config reference -->";
inline constexpr std::string_view kReferenceEnd = "<!-- END GENERATED: config reference -->";

// Markdown: one table per TOML table, a row per key (type, default, variable, meaning and
// accepted form), without the markers.
std::string RenderReference();

// `doc` with the text between the markers replaced by RenderReference(); `doc` unchanged
// if it lacks the markers.
std::string UpdateReference(std::string_view doc);

}  // namespace dlog::config
