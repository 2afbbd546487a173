#include "discovery/candidate.h"

namespace dlog::discovery {

const char* SourceName(CandidateSource s) {
  switch (s) {
    case CandidateSource::kMdns:
      return "mdns";
    case CandidateSource::kDns:
      return "dns";
    case CandidateSource::kStatic:
      return "static";
  }
  return "?";
}

}  // namespace dlog::discovery
