// libFuzzer target: the replica layer's decoders of untrusted bytes.
//
// The first input byte picks what the rest is:
//   0  a 9093 byte stream (wire.h), fed to a FrameReader in chunks whose sizes come
//      from the input; every frame it yields must re-encode to the bytes it came from
//      (the layout is canonical), and the reader never buffers more than it was fed.
//   1  a Raft entry's data (produce_command.h): decoded; what decodes re-encodes and
//      decodes to the same command.
//   2  a wal file (raft_disk_storage.h) after a valid meta file: Open either fails or
//      gives a log whose entries all read back, with commit <= last index; a second
//      Open then sees exactly the same state (recovery is idempotent).
// A violation aborts.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "log/mem_env.h"
#include "replica/produce_command.h"
#include "replica/raft_disk_storage.h"
#include "replica/wire.h"

using namespace dlog;
using namespace dlog::replica;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void FuzzStream(const uint8_t* data, size_t size) {
  if (size == 0) return;
  size_t chunk = 1 + data[0] % 64;
  ++data;
  --size;
  FrameReader r;
  size_t fed = 0;
  for (size_t pos = 0; pos < size; pos += chunk) {
    size_t n = std::min(chunk, size - pos);
    r.Feed(ByteSpan(data + pos, n));
    fed += n;
    for (int i = 0; i < 1024; ++i) {
      Result<std::optional<RaftFrame>> f = r.Next();
      if (!f.ok() || !*f) break;
      Bytes again = EncodeRaftFrame((*f)->group, (*f)->message);
      // The frame just decoded ends at the reader's consumed position.
      size_t end = fed - r.buffered();
      Check(end >= again.size() &&
            std::equal(again.begin(), again.end(), data + end - again.size()));
    }
    Check(r.buffered() <= fed);
  }
}

void FuzzCommand(const uint8_t* data, size_t size) {
  Result<ProduceCommand> c = DecodeProduceCommand(ByteSpan(data, size));
  if (!c.ok()) return;
  Result<Bytes> again = EncodeProduceCommand(*c);
  Check(again.ok());
  Result<ProduceCommand> d = DecodeProduceCommand(*again);
  Check(d.ok() && d->producer_id == c->producer_id && d->sequence == c->sequence &&
        d->records.size() == c->records.size());
  for (size_t i = 0; i < c->records.size(); ++i) {
    Check(d->records[i].key == c->records[i].key && d->records[i].value == c->records[i].value &&
          d->records[i].timestamp_ms == c->records[i].timestamp_ms);
  }
}

void FuzzWal(const uint8_t* data, size_t size) {
  log::MemEnv env;
  raft::Membership voters = *raft::Membership::Make({1, 2, 3});
  {
    Result<std::unique_ptr<RaftDiskStorage>> s = RaftDiskStorage::Open(&env, "/r", 1, voters);
    Check(s.ok());
  }
  {
    Result<std::unique_ptr<log::WritableFile>> f = env.NewWritableFile("/r/wal");
    Check(f.ok() && (*f)->Append(ByteSpan(data, size)).ok() && (*f)->Sync().ok());
  }
  Result<std::unique_ptr<RaftDiskStorage>> s = RaftDiskStorage::Open(&env, "/r", 1, voters);
  if (!s.ok()) return;
  RaftDiskStorage& st = **s;
  Check(st.hard_state().commit <= st.LastIndex());
  if (st.LastIndex() > 0) {
    Result<std::vector<raft::Entry>> all = st.Entries(1, st.LastIndex() + 1, UINT64_MAX);
    Check(all.ok() && all->size() == st.LastIndex());
  }
  raft::HardState hs = st.hard_state();
  raft::Index last = st.LastIndex();
  s->reset();
  Result<std::unique_ptr<RaftDiskStorage>> again = RaftDiskStorage::Open(&env, "/r", 1, voters);
  Check(again.ok() && (*again)->hard_state() == hs && (*again)->LastIndex() == last &&
        (*again)->recovery().cut_bytes == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  switch (data[0] % 3) {
    case 0:
      FuzzStream(data + 1, size - 1);
      break;
    case 1:
      FuzzCommand(data + 1, size - 1);
      break;
    case 2:
      FuzzWal(data + 1, size - 1);
      break;
  }
  return 0;
}
