// The admin API's request parser on arbitrary bytes, fed in two pieces; a parsed
// request is routed for a local caller against a fake backend (no effect escapes).
#include <cstddef>
#include <cstdint>

#include "../tests/unit/admin/fake_backend.h"
#include "admin/admin_routes.h"
#include "admin/http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dlog;
  size_t cut = size ? data[0] % (size + 1) : 0;
  admin::HttpRequestParser p;
  p.Feed(ByteSpan(data, cut));
  p.Feed(ByteSpan(data + cut, size - cut));
  if (p.done()) {
    admin::FakeBackend b;
    auto r = admin::HandleAdminRequest(p.request(),
                                       admin::Caller{true, "local", cluster::Role::kAdmin}, b);
    (void)admin::EncodeResponse(r);
  }
  (void)admin::ParseResponse(std::string_view(reinterpret_cast<const char*>(data), size));
  (void)admin::PercentDecode(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
