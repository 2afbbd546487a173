// A recording AdminBackend for the admin tests.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "admin/admin_backend.h"

namespace dlog::admin {

class FakeBackend : public AdminBackend {
 public:
  // What was called, in order. Read it through calls() while a server may be running:
  // the lock orders the read after the worker threads' writes.
  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

  std::optional<Caller> Identify(const stack::IpAddress& remote) override {
    if (remote == stack::IpAddress::V4(127, 0, 0, 1))
      return Caller{false, "lo", cluster::Role::kAdmin};
    return std::nullopt;
  }
  nlohmann::json Status() override {  // the shape of src/node/status.h
    return {{"node", "node-a"},
            {"overlay", "10.0.0.1"},
            {"stack", "tun"},
            {"listen_port", 51820},
            {"members",
             {{{"name", "node-b"},
               {"role", "node"},
               {"overlay", "10.0.0.2"},
               {"endpoint", "192.168.1.11:51820"},
               {"last_handshake", 0},
               {"rx_bytes", 3 << 20},
               {"tx_bytes", 1536},
               {"pq", "active"},
               {"pq_epoch", 4}}}}};
  }
  std::string Metrics() override { return "dlog_members 1\n"; }
  nlohmann::json Members() override { return nlohmann::json::array(); }
  nlohmann::json Tokens() override { return nlohmann::json::array(); }
  Result<std::string> CreateToken(cluster::Role role, int64_t ttl, uint32_t uses) override {
    Record("CreateToken " + std::string(cluster::RoleName(role)) + " " + std::to_string(ttl) + " " +
           std::to_string(uses));
    return std::string("dlog1.fake");
  }
  dlog::Status RevokeToken(std::string_view id) override {
    Record("RevokeToken " + std::string(id));
    return dlog::Status::Ok();
  }
  dlog::Status RemoveMember(std::string_view who) override {
    Record("RemoveMember " + std::string(who));
    if (who == "nobody") return dlog::Status::Error("unknown member \"nobody\"");
    return dlog::Status::Ok();
  }
  Result<std::string> RotateKeys() override {
    Record("RotateKeys");
    return std::string("bmV3IGtleQ==");
  }
  Result<std::string> Invite(cluster::Role role, std::string_view name) override {
    Record("Invite " + std::string(cluster::RoleName(role)) + " " + std::string(name));
    return std::string("[Interface]\nPrivateKey = x\n");
  }

 private:
  void Record(std::string s) {
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(s));
  }
  std::mutex mu_;
  std::vector<std::string> calls_;
};

}  // namespace dlog::admin
