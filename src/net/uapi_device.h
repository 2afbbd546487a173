// The UAPI protocol bound to a wg::Device and the daemon's UDP socket.
//
// ToConfigUpdate / ToDeviceState translate between the protocol's types (net/uapi.h) and
// the core's (wg/device.h). DeviceUapiHandler applies a set the way wireguard-go does,
// line order preserved where it is observable:
//   1. private_key            → Device::ApplyConfig
//   2. listen_port            → UdpBind::Rebind        (failure: errno=-EADDRINUSE)
//   3. fwmark                 → UdpBind::SetMark       (failure: errno=-EADDRINUSE)
//   4. replace_peers, peers   → Device::ApplyConfig    (failure: errno=-EINVAL)
// and answers get from Device::Snapshot, with the port the socket is really bound to.
#pragma once

#include <functional>

#include "base/clock.h"
#include "net/uapi_session.h"
#include "net/udp.h"
#include "wg/device.h"

namespace dlog::net {

// Moves the secrets out of `req`.
wg::ConfigUpdate ToConfigUpdate(uapi::SetRequest& req);
uapi::DeviceState ToDeviceState(const wg::DeviceSnapshot& snap);

// Runs on the UAPI thread. `flush` sends what ApplyConfig put in an Output (immediate
// keepalives); `config_changed` runs after every set (the timer thread re-reads the
// deadline).
class DeviceUapiHandler : public uapi::UapiHandler {
 public:
  DeviceUapiHandler(wg::Device& device, UdpBind& bind, const Clock& clock,
                    std::function<void(wg::Output&)> flush, std::function<void()> config_changed)
      : device_(device),
        bind_(bind),
        clock_(clock),
        flush_(std::move(flush)),
        config_changed_(std::move(config_changed)) {}

  uapi::DeviceState Get() override;
  std::optional<uapi::Error> Set(const uapi::SetRequest& req) override;

 private:
  std::optional<uapi::Error> Apply(const wg::ConfigUpdate& update, int64_t code);

  wg::Device& device_;
  UdpBind& bind_;
  const Clock& clock_;
  std::function<void(wg::Output&)> flush_;
  std::function<void()> config_changed_;
  wg::Output out_;  // UAPI thread only
};

}  // namespace dlog::net
