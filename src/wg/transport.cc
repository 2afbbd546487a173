#include "wg/transport.h"

#include <cstring>

#include "crypto/aead.h"
#include "wg/constants.h"

namespace dlog::wg {
namespace {

constexpr size_t kIpv4HeaderSize = 20;
constexpr size_t kIpv6HeaderSize = 40;

}  // namespace

size_t PaddedSize(size_t packet_size, size_t mtu) {
  size_t last_unit = packet_size;
  auto round_up = [](size_t n) { return (n + kPaddingMultiple - 1) & ~(kPaddingMultiple - 1); };
  if (mtu == 0) return round_up(last_unit);
  if (last_unit > mtu) last_unit %= mtu;
  size_t padded = round_up(last_unit);
  if (padded > mtu) padded = mtu;
  return packet_size + (padded - last_unit);
}

void SealTransport(const Keypair& kp, uint64_t counter, ByteSpan packet, size_t padded_size,
                   uint8_t* out) {
  StoreLE32(out, kMessageTransport);
  StoreLE32(out + 4, kp.remote_index());
  StoreLE64(out + 8, counter);
  uint8_t* body = out + kTransportHeaderSize;
  if (!packet.empty() && body != packet.data()) std::memmove(body, packet.data(), packet.size());
  std::memset(body + packet.size(), 0, padded_size - packet.size());
  crypto::ChaChaPolySeal(kp.send_key(), counter, {body, padded_size}, {}, body);
}

bool OpenTransport(const Keypair& kp, uint64_t counter, ByteSpan ciphertext, uint8_t* out) {
  if (ciphertext.size() < kTagSize) return false;
  return crypto::ChaChaPolyOpen(kp.receive_key(), counter, ciphertext, {}, out);
}

std::optional<IpHeader> ParseIpHeader(ByteSpan packet) {
  if (packet.empty()) return std::nullopt;
  IpHeader h;
  switch (packet[0] >> 4) {
    case 4:
      if (packet.size() < kIpv4HeaderSize) return std::nullopt;
      h.source = packet.data() + 12;
      h.destination = packet.data() + 16;
      h.total_length = LoadBE32(packet.data()) & 0xffff;
      return h;
    case 6:
      if (packet.size() < kIpv6HeaderSize) return std::nullopt;
      h.v6 = true;
      h.source = packet.data() + 8;
      h.destination = packet.data() + 24;
      h.total_length = kIpv6HeaderSize + ((size_t(packet[4]) << 8) | packet[5]);
      return h;
    default:
      return std::nullopt;
  }
}

std::optional<size_t> InnerPacketLength(const IpHeader& header, size_t buffer_size) {
  if (header.total_length > buffer_size) return std::nullopt;
  if (!header.v6 && header.total_length < kIpv4HeaderSize) return std::nullopt;
  return header.total_length;
}

}  // namespace dlog::wg
