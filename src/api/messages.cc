#include "api/messages.h"

#include <string>
#include <utility>

#include "api/wire.h"

namespace dlog::api {
namespace {

// ---- records -------------------------------------------------------------------------

void Put(WireWriter& w, const log::Record& r) {
  w.I64(r.timestamp_ms);
  w.Bytes32(r.key);
  w.Bytes32(r.value);
  w.U16(static_cast<uint16_t>(r.headers.size()));
  for (const log::RecordHeader& h : r.headers) {
    w.String16(h.name);
    w.Bytes32(h.value);
  }
}

void Get(WireReader& r, log::Record* rec) {
  rec->timestamp_ms = r.I64();
  r.Require(rec->timestamp_ms >= log::kNoTimestamp);
  rec->key = r.Bytes32(log::kMaxKeyBytes);
  rec->value = r.Bytes32(log::kMaxValueBytes);
  size_t n = r.U16();
  r.Require(n <= log::kMaxHeadersPerRecord);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    log::RecordHeader h;
    h.name = r.String16(log::kMaxHeaderNameBytes);
    r.Require(!h.name.empty());
    h.value = r.Bytes32(log::kMaxHeaderValueBytes);
    rec->headers.push_back(std::move(h));
  }
}

Status CheckRecords(const std::vector<log::Record>& records, bool with_offsets) {
  if (records.size() > kMaxRecordsPerRequest) {
    return Status::Error("TooLarge: " + std::to_string(records.size()) +
                         " records in one message; the limit is " +
                         std::to_string(kMaxRecordsPerRequest));
  }
  for (size_t i = 0; i < records.size(); ++i) {
    const log::Record& r = records[i];
    if (Status s = log::ValidateRecord(r); !s.ok()) {
      return Status::Error("InvalidRequest: record " + std::to_string(i) + ": " + s.message());
    }
    if (!with_offsets && r.offset != 0) {
      return Status::Error("InvalidRequest: produced records carry no offset (set 0)");
    }
  }
  return Status::Ok();
}

// ---- logs ----------------------------------------------------------------------------

void Put(WireWriter& w, const LogDescription& d) {
  w.String16(d.name);
  w.U32(d.partitions);
  w.U8(d.replication_factor);
  w.I64(d.created_unix_ms);
}

void Get(WireReader& r, LogDescription* d) {
  d->name = r.String16(kMaxNameBytes);
  d->partitions = r.U32();
  d->replication_factor = r.U8();
  d->created_unix_ms = r.I64();
}

// ---- requests ------------------------------------------------------------------------

void Put(WireWriter& w, const CreateLogRequest& m) {
  w.String16(m.log);
  w.U32(m.partitions);
  w.U8(m.replication_factor);
}
void Get(WireReader& r, CreateLogRequest* m) {
  m->log = r.String16(kMaxNameBytes);
  m->partitions = r.U32();
  m->replication_factor = r.U8();
}

void Put(WireWriter& w, const DeleteLogRequest& m) { w.String16(m.log); }
void Get(WireReader& r, DeleteLogRequest* m) { m->log = r.String16(kMaxNameBytes); }

void Put(WireWriter& w, const ListLogsRequest& m) { w.String16(m.ns); }
void Get(WireReader& r, ListLogsRequest* m) { m->ns = r.String16(kMaxNameBytes); }

bool SameKeys(const std::vector<log::Record>& records) {
  for (const log::Record& rec : records) {
    if (rec.key != records.front().key) return false;
  }
  return true;
}

void Put(WireWriter& w, const ProduceRequest& m) {
  w.String16(m.log);
  w.U8(static_cast<uint8_t>(m.selector));
  w.U32(m.partition);
  w.U8(static_cast<uint8_t>(m.acks));
  w.U32(static_cast<uint32_t>(m.records.size()));
  for (const log::Record& rec : m.records) Put(w, rec);
}
void Get(WireReader& r, ProduceRequest* m) {
  m->log = r.String16(kMaxNameBytes);
  uint8_t selector = r.U8();
  r.Require(selector <= uint8_t(PartitionSelector::kKeyHash));
  m->selector = static_cast<PartitionSelector>(selector);
  m->partition = r.U32();
  r.Require(m->selector == PartitionSelector::kExplicit || m->partition == 0);
  uint8_t acks = r.U8();
  r.Require(acks <= uint8_t(Acks::kAll));
  m->acks = static_cast<Acks>(acks);
  size_t n = r.U32();
  r.Require(n >= 1 && n <= kMaxRecordsPerRequest);
  for (size_t i = 0; i < n && r.ok(); ++i) Get(r, &m->records.emplace_back());
  r.Require(m->selector == PartitionSelector::kExplicit || SameKeys(m->records));
}

void Put(WireWriter& w, const ConsumeRequest& m) {
  w.String16(m.log);
  w.U32(m.partition);
  w.U64(m.from_offset);
  w.U32(m.max_records);
  w.U32(m.max_bytes);
}
void Get(WireReader& r, ConsumeRequest* m) {
  m->log = r.String16(kMaxNameBytes);
  m->partition = r.U32();
  m->from_offset = r.U64();
  m->max_records = r.U32();
  m->max_bytes = r.U32();
}

void Put(WireWriter& w, const QueryRequest& m) { w.String32(m.text); }
void Get(WireReader& r, QueryRequest* m) { m->text = r.String32(kMaxQueryBytes); }

void Put(WireWriter&, const StatusRequest&) {}
void Get(WireReader&, StatusRequest*) {}

// ---- responses -----------------------------------------------------------------------

void Put(WireWriter& w, const CreateLogResponse& m) { Put(w, m.log); }
void Get(WireReader& r, CreateLogResponse* m) { Get(r, &m->log); }

void Put(WireWriter&, const DeleteLogResponse&) {}
void Get(WireReader&, DeleteLogResponse*) {}

void Put(WireWriter& w, const ListLogsResponse& m) {
  w.U32(static_cast<uint32_t>(m.logs.size()));
  for (const LogDescription& d : m.logs) Put(w, d);
}
void Get(WireReader& r, ListLogsResponse* m) {
  size_t n = r.U32();
  r.Require(n <= kMaxLogsPerList);
  for (size_t i = 0; i < n && r.ok(); ++i) Get(r, &m->logs.emplace_back());
}

void Put(WireWriter& w, const ProduceResponse& m) {
  w.U32(m.partition);
  w.U64(m.base_offset);
  w.U64(m.last_offset);
}
void Get(WireReader& r, ProduceResponse* m) {
  m->partition = r.U32();
  m->base_offset = r.U64();
  m->last_offset = r.U64();
  r.Require(m->base_offset <= m->last_offset);
}

void Put(WireWriter& w, const ConsumeResponse& m) {
  w.U32(m.partition);
  w.U64(m.high_watermark);
  w.U64(m.log_start_offset);
  w.U32(static_cast<uint32_t>(m.records.size()));
  for (const log::Record& rec : m.records) {
    w.U64(rec.offset);
    Put(w, rec);
  }
}
void Get(WireReader& r, ConsumeResponse* m) {
  m->partition = r.U32();
  m->high_watermark = r.U64();
  m->log_start_offset = r.U64();
  size_t n = r.U32();
  r.Require(n <= kMaxRecordsPerRequest);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    log::Record& rec = m->records.emplace_back();
    rec.offset = r.U64();
    Get(r, &rec);
  }
}

void Put(WireWriter& w, const QueryResponse& m) {
  w.U64(m.scanned);
  w.U64(m.not_object);
  w.U8(m.truncated ? 1 : 0);
  w.U32(static_cast<uint32_t>(m.rows.size()));
  for (const std::string& row : m.rows) w.String32(row);
}
void Get(WireReader& r, QueryResponse* m) {
  m->scanned = r.U64();
  m->not_object = r.U64();
  r.Require(m->not_object <= m->scanned);
  m->truncated = r.Bool();
  size_t n = r.U32();
  r.Require(n <= kMaxRowsPerResponse);
  for (size_t i = 0; i < n && r.ok(); ++i) m->rows.push_back(r.String32(kDefaultMaxFrameBytes));
}

void Put(WireWriter& w, const MemberStatus& m) {
  w.String16(m.name);
  w.String16(m.address);
  w.String16(m.role);
}
void Get(WireReader& r, MemberStatus* m) {
  m->name = r.String16(kMaxNameBytes);
  m->address = r.String16(kMaxNameBytes);
  m->role = r.String16(kMaxNameBytes);
}

void Put(WireWriter& w, const StatusResponse& m) {
  w.String16(m.node);
  w.String16(m.address);
  w.String16(m.version);
  w.U64(m.uptime_ms);
  w.U32(m.logs);
  w.U32(static_cast<uint32_t>(m.members.size()));
  for (const MemberStatus& member : m.members) Put(w, member);
}
void Get(WireReader& r, StatusResponse* m) {
  m->node = r.String16(kMaxNameBytes);
  m->address = r.String16(kMaxNameBytes);
  m->version = r.String16(kMaxNameBytes);
  m->uptime_ms = r.U64();
  m->logs = r.U32();
  size_t n = r.U32();
  r.Require(n <= kMaxMembers);
  for (size_t i = 0; i < n && r.ok(); ++i) Get(r, &m->members.emplace_back());
}

void Put(WireWriter& w, const ErrorResponse& m) {
  w.U16(static_cast<uint16_t>(m.code));
  w.String16(m.message);
  w.U32(m.position);
  w.String16(m.leader_name);
  w.String16(m.leader_address);
}
void Get(WireReader& r, ErrorResponse* m) {
  uint16_t code = r.U16();
  r.Require(code >= 1 && code <= kMaxErrorCode);
  m->code = static_cast<ErrorCode>(code);
  m->message = r.String16(kMaxMessageBytes);
  m->position = r.U32();
  r.Require(m->code == ErrorCode::kBadQuery || m->position == 0);
  m->leader_name = r.String16(kMaxNameBytes);
  m->leader_address = r.String16(kMaxNameBytes);
  r.Require(m->code == ErrorCode::kNotLeader ||
            (m->leader_name.empty() && m->leader_address.empty()));
}

// ---- bounds checked before encoding (the decoder's checks, as messages) --------------

Status CheckName(const std::string& s, const char* what) {
  if (s.size() <= kMaxNameBytes) return Status::Ok();
  return Status::Error(std::string("InvalidRequest: ") + what + " is longer than " +
                       std::to_string(kMaxNameBytes) + " bytes");
}

Status Check(const CreateLogRequest& m) { return CheckName(m.log, "log name"); }
Status Check(const DeleteLogRequest& m) { return CheckName(m.log, "log name"); }
Status Check(const ListLogsRequest& m) { return CheckName(m.ns, "namespace"); }
Status Check(const ProduceRequest& m) {
  if (Status s = CheckName(m.log, "log name"); !s.ok()) return s;
  if (m.records.empty()) return Status::Error("InvalidRequest: Produce needs at least one record");
  if (m.selector == PartitionSelector::kKeyHash && (m.partition != 0 || !SameKeys(m.records))) {
    return Status::Error(
        "InvalidRequest: a key-hash Produce has partition 0 and one key for all its records; "
        "group records by PartitionForKey and send explicit partitions");
  }
  return CheckRecords(m.records, false);
}
Status Check(const ConsumeRequest& m) { return CheckName(m.log, "log name"); }
Status Check(const QueryRequest& m) {
  if (m.text.size() <= kMaxQueryBytes) return Status::Ok();
  return Status::Error("TooLarge: query of " + std::to_string(m.text.size()) +
                       " bytes; the limit is " + std::to_string(kMaxQueryBytes));
}
Status Check(const StatusRequest&) { return Status::Ok(); }
Status Check(const CreateLogResponse& m) { return CheckName(m.log.name, "log name"); }
Status Check(const DeleteLogResponse&) { return Status::Ok(); }
Status Check(const ListLogsResponse& m) {
  if (m.logs.size() > kMaxLogsPerList) return Status::Error("TooLarge: too many logs");
  for (const LogDescription& d : m.logs) {
    if (Status s = CheckName(d.name, "log name"); !s.ok()) return s;
  }
  return Status::Ok();
}
Status Check(const ProduceResponse& m) {
  if (m.base_offset <= m.last_offset) return Status::Ok();
  return Status::Error("Internal: base offset after last offset");
}
Status Check(const ConsumeResponse& m) { return CheckRecords(m.records, true); }
Status Check(const QueryResponse& m) {
  if (m.rows.size() > kMaxRowsPerResponse) return Status::Error("TooLarge: too many rows");
  if (m.not_object > m.scanned) return Status::Error("Internal: not_object exceeds scanned");
  for (const std::string& row : m.rows) {
    if (row.size() > kDefaultMaxFrameBytes) return Status::Error("TooLarge: row too large");
  }
  return Status::Ok();
}
Status Check(const StatusResponse& m) {
  if (m.members.size() > kMaxMembers) return Status::Error("TooLarge: too many members");
  for (const std::string* s : {&m.node, &m.address, &m.version}) {
    if (Status st = CheckName(*s, "status field"); !st.ok()) return st;
  }
  for (const MemberStatus& member : m.members) {
    for (const std::string* s : {&member.name, &member.address, &member.role}) {
      if (Status st = CheckName(*s, "member field"); !st.ok()) return st;
    }
  }
  return Status::Ok();
}
Status Check(const ErrorResponse& m) {
  uint16_t code = static_cast<uint16_t>(m.code);
  if (code < 1 || code > kMaxErrorCode) return Status::Error("Internal: unknown error code");
  if (m.message.size() > kMaxMessageBytes) return Status::Error("Internal: error message too long");
  if (m.code != ErrorCode::kBadQuery && m.position != 0) {
    return Status::Error("Internal: position set on an error other than BadQuery");
  }
  if (m.code != ErrorCode::kNotLeader && !(m.leader_name.empty() && m.leader_address.empty())) {
    return Status::Error("Internal: leader hint set on an error other than NotLeader");
  }
  return CheckName(m.leader_name, "leader name").ok()
             ? CheckName(m.leader_address, "leader address")
             : CheckName(m.leader_name, "leader name");
}

template <typename Variant>
Result<Bytes> EncodeVariant(const Variant& v) {
  return std::visit(
      [](const auto& m) -> Result<Bytes> {
        if (Status s = Check(m); !s.ok()) return s;
        Bytes out;
        WireWriter w(&out);
        Put(w, m);
        if (!w.ok()) return Status::Error("TooLarge: a field exceeds its length prefix");
        return out;
      },
      v);
}

template <typename Variant, size_t I = 0>
Result<Variant> DecodeAlternative(size_t index, ByteSpan body, const char* type_name) {
  if constexpr (I < std::variant_size_v<Variant>) {
    if (index != I) return DecodeAlternative<Variant, I + 1>(index, body, type_name);
    std::variant_alternative_t<I, Variant> m;
    WireReader r(body);
    Get(r, &m);
    if (!r.ok() || !r.AtEnd()) {
      return Status::Error(
          std::string("InvalidRequest: malformed ") + type_name +
          " body (a field is out of range, truncated, or followed by extra bytes)");
    }
    return Variant(std::move(m));
  } else {
    return Status::Error("InvalidRequest: unexpected message type");
  }
}

size_t ResponseIndex(MessageType type) {
  if (type == MessageType::kError) return std::variant_size_v<Response> - 1;
  return uint8_t(type) - uint8_t(MessageType::kCreateLogResponse);
}

}  // namespace

uint32_t PartitionForKey(ByteSpan key, uint32_t partitions) {
  uint32_t h = 2166136261u;  // FNV-1a offset basis
  for (uint8_t b : key) {
    h ^= b;
    h *= 16777619u;  // FNV prime
  }
  return partitions == 0 ? 0 : h % partitions;
}

MessageType TypeOf(const Request& request) { return static_cast<MessageType>(request.index() + 1); }

MessageType TypeOf(const Response& response) {
  if (std::holds_alternative<ErrorResponse>(response)) return MessageType::kError;
  return static_cast<MessageType>(uint8_t(MessageType::kCreateLogResponse) + response.index());
}

Result<Bytes> EncodeBody(const Request& request) { return EncodeVariant(request); }
Result<Bytes> EncodeBody(const Response& response) { return EncodeVariant(response); }

Result<Bytes> EncodeRequestFrame(uint32_t correlation_id, const Request& request,
                                 size_t max_frame_bytes) {
  Result<Bytes> body = EncodeBody(request);
  if (!body.ok()) return body.status();
  return EncodeFrame(Frame{TypeOf(request), correlation_id, std::move(*body)}, max_frame_bytes);
}

Result<Bytes> EncodeResponseFrame(uint32_t correlation_id, const Response& response,
                                  size_t max_frame_bytes) {
  Result<Bytes> body = EncodeBody(response);
  if (!body.ok()) return body.status();
  return EncodeFrame(Frame{TypeOf(response), correlation_id, std::move(*body)}, max_frame_bytes);
}

Result<Request> DecodeRequest(const Frame& frame) {
  if (!IsRequestType(frame.type)) {
    return Status::Error(std::string("InvalidRequest: ") + MessageTypeName(frame.type) +
                         " is a response, not a request");
  }
  return DecodeAlternative<Request>(uint8_t(frame.type) - 1, frame.body,
                                    MessageTypeName(frame.type));
}

Result<Response> DecodeResponse(const Frame& frame) {
  if (IsRequestType(frame.type)) {
    return Status::Error(std::string("InvalidRequest: ") + MessageTypeName(frame.type) +
                         " is a request, not a response");
  }
  return DecodeAlternative<Response>(ResponseIndex(frame.type), frame.body,
                                     MessageTypeName(frame.type));
}

}  // namespace dlog::api
