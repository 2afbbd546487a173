#include "net/dns_query.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <cstring>

namespace dlog::net {

Result<Bytes> DnsQuery(const std::string& name, uint16_t type, const DnsQueryOptions& options) {
  struct __res_state state;
  memset(&state, 0, sizeof state);
  if (res_ninit(&state) != 0) return Status::Error("resolver initialisation failed");
  state.retrans = int(options.timeout.count());
  state.retry = options.attempts;
  state.options &= ~(RES_DNSRCH | RES_DEFNAMES);  // the name as given, no search list
  if (options.server) {
    if (options.server->v6) {
      res_nclose(&state);
      return Status::Error("DnsQuery: an explicit server must be IPv4");
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(options.server->port);
    memcpy(&sa.sin_addr, options.server->addr.data(), 4);
    state.nsaddr_list[0] = sa;
    state.nscount = 1;
  }
  Bytes answer(65535);
  int n = res_nquery(&state, name.c_str(), ns_c_in, type, answer.data(), int(answer.size()));
  int herr = state.res_h_errno;
  res_nclose(&state);
  if (n < 0) {
    const char* why = herr == HOST_NOT_FOUND ? "no such name"
                      : herr == NO_DATA      ? "no records of that type"
                      : herr == TRY_AGAIN    ? "timed out or server failure"
                                             : "lookup failed";
    return Status::Error("DNS " + name + ": " + why);
  }
  answer.resize(size_t(n));
  return answer;
}

}  // namespace dlog::net
