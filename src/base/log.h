// Minimal leveled logging to stderr. Never pass secrets.
#pragma once

#include <cstdarg>

namespace dlog {

enum class LogLevel { kError = 0, kInfo = 1, kDebug = 2 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void Logf(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define DLOG_ERROR(...) ::dlog::Logf(::dlog::LogLevel::kError, __VA_ARGS__)
#define DLOG_INFO(...) ::dlog::Logf(::dlog::LogLevel::kInfo, __VA_ARGS__)
#define DLOG_DEBUG(...)                                    \
  do {                                                     \
    if (::dlog::GetLogLevel() >= ::dlog::LogLevel::kDebug) \
      ::dlog::Logf(::dlog::LogLevel::kDebug, __VA_ARGS__); \
  } while (0)

}  // namespace dlog
