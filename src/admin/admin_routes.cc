#include "admin/admin_routes.h"

#include <charconv>
#include <string>

namespace dlog::admin {
namespace {

using cluster::Role;

bool MayRead(const Caller& c) { return c.local || c.role == Role::kAdmin || c.role == Role::kNode; }
bool MayChange(const Caller& c) { return c.local || c.role == Role::kAdmin; }

// Bytes from the request (a path, a name) may be any bytes: invalid UTF-8 is replaced
// (U+FFFD), never thrown on (admin_http_fuzz found a path of 0xFF bytes).
HttpResponse Json(int status, const nlohmann::json& j) {
  return HttpResponse{status, "application/json",
                      j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

HttpResponse Text(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
  return HttpResponse{status, std::move(type), std::move(body)};
}

// A query parameter as a non-negative integer, or `fallback` when absent.
std::optional<int64_t> IntParam(const HttpRequest& r, const std::string& name, int64_t fallback) {
  auto it = r.query.find(name);
  if (it == r.query.end()) return fallback;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<Role> RoleParam(const HttpRequest& r, Role fallback) {
  auto it = r.query.find("role");
  if (it == r.query.end()) return fallback;
  return cluster::RoleFromName(it->second);
}

HttpResponse FromStatus(const Status& s, int ok_status = 200) {
  if (s.ok()) return Json(ok_status, {{"ok", true}});
  return ErrorResponse(s.message().find("unknown") != std::string::npos ? 404 : 409, s.message());
}

HttpResponse CreateToken(const HttpRequest& r, AdminBackend& b) {
  auto role = RoleParam(r, Role::kNode);
  auto ttl = IntParam(r, "ttl", 24 * 3600);
  auto uses = IntParam(r, "uses", 1);
  if (!role) return ErrorResponse(400, "role must be node, client or admin");
  if (!ttl || *ttl == 0) return ErrorResponse(400, "ttl must be a positive number of seconds");
  if (!uses || *uses == 0 || *uses > 1'000'000)
    return ErrorResponse(400, "uses must be 1..1000000");
  auto t = b.CreateToken(*role, *ttl, uint32_t(*uses));
  if (!t.ok()) return ErrorResponse(409, t.status().message());
  return Json(201,
              {{"token", *t}, {"role", cluster::RoleName(*role)}, {"ttl", *ttl}, {"uses", *uses}});
}

HttpResponse Invite(const HttpRequest& r, AdminBackend& b) {
  auto role = RoleParam(r, Role::kAdmin);
  if (!role || *role == Role::kNode) {
    return ErrorResponse(400, "role must be admin or client (nodes join with a token)");
  }
  auto it = r.query.find("name");
  std::string name = it == r.query.end() ? "" : it->second;
  auto conf = b.Invite(*role, name);
  if (!conf.ok()) return ErrorResponse(409, conf.status().message());
  return Text(201, *conf);
}

// The rest of `path` after `prefix`, if path starts with it and the rest is one segment.
std::optional<std::string> Segment(const std::string& path, std::string_view prefix) {
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0)
    return std::nullopt;
  std::string rest = path.substr(prefix.size());
  if (rest.find('/') != std::string::npos) return std::nullopt;
  return rest;
}

HttpResponse Route(const HttpRequest& r, const Caller& c, AdminBackend& b) {
  const bool get = r.method == "GET", post = r.method == "POST", del = r.method == "DELETE";
  if (r.path == "/v1/status" && get) return Json(200, b.Status());
  if (r.path == "/metrics" && get) return Text(200, b.Metrics(), "text/plain; version=0.0.4");
  if (r.path == "/v1/members" && get) return Json(200, b.Members());
  if (r.path == "/v1/tokens" && get) return Json(200, b.Tokens());
  const bool change = post || del;
  if (change && !MayChange(c)) return ErrorResponse(403, "changes need an admin member");
  if (r.path == "/v1/tokens" && post) return CreateToken(r, b);
  if (r.path == "/v1/invite" && post) return Invite(r, b);
  if (r.path == "/v1/rotate" && post) {
    auto key = b.RotateKeys();
    if (!key.ok()) return ErrorResponse(409, key.status().message());
    return Json(201, {{"public_key", *key}});
  }
  if (auto id = Segment(r.path, "/v1/tokens/"); id && del) return FromStatus(b.RevokeToken(*id));
  if (auto m = Segment(r.path, "/v1/members/"); m && del) return FromStatus(b.RemoveMember(*m));
  bool known = r.path == "/v1/status" || r.path == "/metrics" || r.path == "/v1/members" ||
               r.path == "/v1/tokens" || r.path == "/v1/invite" || r.path == "/v1/rotate" ||
               Segment(r.path, "/v1/tokens/") || Segment(r.path, "/v1/members/");
  return known ? ErrorResponse(405, "method not allowed on " + r.path)
               : ErrorResponse(404, "no such endpoint: " + r.path);
}

}  // namespace

HttpResponse ErrorResponse(int status, std::string_view message) {
  return Json(status, {{"error", std::string(message)}});
}

HttpResponse HandleAdminRequest(const HttpRequest& request, const Caller& caller,
                                AdminBackend& backend) {
  if (!MayRead(caller)) return ErrorResponse(403, "the admin API is for admin and node members");
  return Route(request, caller, backend);
}

}  // namespace dlog::admin
