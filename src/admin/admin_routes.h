// The admin API's routes (docs/ADMIN.md): an HTTP request from a known caller → the
// response. Pure: every effect goes through the AdminBackend.
//
//   GET    /v1/status                         members, endpoints, handshakes, PQ state
//   GET    /metrics                           Prometheus text
//   GET    /v1/members
//   DELETE /v1/members/<name or key>          remove a member (its tunnels go down)
//   GET    /v1/tokens
//   POST   /v1/tokens?role=node&ttl=86400&uses=1     → {"token": "dlog1..."}
//   DELETE /v1/tokens/<id>                    revoke
//   POST   /v1/invite?role=admin&name=laptop  → the wg-quick configuration (text/plain)
//   POST   /v1/rotate                         rotate this node's WireGuard key
//
// Authorisation: reads need a node or admin member, or the local socket; changes need
// an admin member or the local socket. Clients get 403 on everything.
#pragma once

#include "admin/admin_backend.h"
#include "admin/http.h"

namespace dlog::admin {

HttpResponse HandleAdminRequest(const HttpRequest& request, const Caller& caller,
                                AdminBackend& backend);

// {"error": message} with the status.
HttpResponse ErrorResponse(int status, std::string_view message);

}  // namespace dlog::admin
