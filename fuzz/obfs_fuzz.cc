// libFuzzer target for the de-disguise path (obfs::Disguise::Unwrap, obfs::Open).
//
// Input: [control][payload...]. By control % 3:
//   0  the payload is a received datagram: Unwrap must not crash or read out of bounds;
//      whatever it delivers lies inside the datagram; nothing is delivered from chaff.
//   1  the payload is an inner datagram: Wrap it (options from the control bits), then
//      Unwrap everything that was sent: exactly the inner datagram comes out, once.
//   2  as 1, then the first payload bytes choose positions to corrupt in the sealed
//      datagram: if it is still delivered, it has the inner's length, and a non-transport
//      inner (masked and tagged whole) is unchanged.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "base/clock.h"
#include "base/rng.h"
#include "obfs/disguise.h"

namespace {

using namespace dlog;
using namespace dlog::obfs;

void Check(bool ok) {
  if (!ok) std::abort();
}

ClusterSecret Secret() {
  ClusterSecret s;
  std::memset(s.data(), 0x3c, s.size());
  return s;
}

Options OptionsFrom(uint8_t control) {
  Options o;
  o.random_padding = control & 0x08;
  o.decoy_traffic = control & 0x10;
  o.decoy_ratio = 1.0;
  o.decoy_max_delay = Duration::zero();
  o.port_hopping = control & 0x20;
  o.hop_interval = std::chrono::seconds(3);
  o.stock_roaming = control & 0x40;
  o.max_datagram = 65507;
  return o;
}

const wg::Endpoint kFrom = *wg::Endpoint::Parse("192.0.2.1:51820");
const wg::Endpoint kTo = *wg::Endpoint::Parse("192.0.2.2:51820");

void Receive(ByteSpan data, uint8_t control) {
  FakeClock clock;
  SeededRng rng(1);
  Disguise d(Secret(), OptionsFrom(control), rng);
  Bytes buf(data.begin(), data.end());
  auto u = d.Unwrap(kFrom, buf, clock.Now(), clock.WallNow());
  if (u.deliver) {
    Check(u.inner.data() >= buf.data() &&
          u.inner.data() + u.inner.size() <= buf.data() + buf.size());
  }
  // Also the bare format parser on the same bytes.
  DisguiseKeys keys = DeriveKeys(Secret());
  Bytes again(data.begin(), data.end());
  Opened o = Open(keys, again);
  if (o.ok()) Check(o.inner.data() + o.inner.size() + o.padding == again.data() + again.size());
}

void RoundTrip(ByteSpan inner, uint8_t control, ByteSpan corrupt) {
  if (inner.size() > 60000) return;
  FakeClock clock;
  SeededRng rng_a(2), rng_b(3);
  Options o = OptionsFrom(control);
  o.stock_roaming = false;  // a corrupted first byte may turn a datagram into stock form
  Disguise a(Secret(), o, rng_a), b(Secret(), o, rng_b);
  Output out;
  a.Wrap(kTo, inner, clock.Now(), clock.WallNow(), out);
  Check(out.size() >= 1);
  size_t delivered = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    Bytes d(out.data(i).begin(), out.data(i).end());
    for (size_t k = 0; k + 1 < corrupt.size(); k += 2)
      d[corrupt[k] % d.size()] ^= corrupt[k + 1] | 1;
    auto u = b.Unwrap(kFrom, d, clock.Now(), clock.WallNow());
    if (!u.deliver) continue;
    ++delivered;
    Check(u.inner.size() == inner.size());
    if (corrupt.empty() || KindOf(inner) == Kind::kMessage)
      Check(std::equal(u.inner.begin(), u.inner.end(), inner.begin(), inner.end()));
  }
  if (corrupt.empty()) Check(delivered == 1);
  Check(delivered <= 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  ByteSpan payload(data + 1, size - 1);
  switch (control % 3) {
    case 0:
      Receive(payload, control);
      break;
    case 1:
      RoundTrip(payload, control, {});
      break;
    default: {
      const size_t n = std::min<size_t>(payload.size(), 8);
      RoundTrip(payload.subspan(n), control, payload.first(n));
      break;
    }
  }
  return 0;
}
