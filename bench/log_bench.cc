// Storage throughput: appending and reading 100-byte records (value 100 bytes, key 8
// bytes, no headers) in one partition on the real file system (a temp directory),
// with each fsync policy, one record or 100 records per batch. Reports records/s
// (items_per_second) and bytes/s. Also the in-memory Env, to show the CPU cost alone.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "log/mem_env.h"
#include "log/partition.h"
#include "log/posix_env.h"

namespace dlog::log {
namespace {

constexpr size_t kValueBytes = 100;

std::vector<Record> Batch(size_t n) {
  std::vector<Record> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].key.assign(8, uint8_t('k'));
    out[i].value.assign(kValueBytes, uint8_t(i));
    out[i].timestamp_ms = 1'700'000'000'000;
  }
  return out;
}

// A partition directory that removes itself.
struct Scratch {
  Scratch(Env* e) : env(e) {
    if (env == PosixEnvironment()) {
      char tmpl[] = "/tmp/dlog-log-bench-XXXXXX";
      if (::mkdtemp(tmpl) == nullptr) std::abort();
      dir = tmpl;
    } else {
      dir = "/bench";
      if (!env->CreateDir(dir).ok()) std::abort();
    }
  }
  ~Scratch() { (void)RemoveTree(env, dir); }
  Env* env;
  std::string dir;
};

std::unique_ptr<Partition> OpenOrDie(Env* env, const std::string& dir, FsyncPolicy policy) {
  PartitionOptions options;
  options.fsync_policy = policy;
  Result<std::unique_ptr<Partition>> p = Partition::Open(env, dir, options);
  if (!p.ok()) std::abort();
  return std::move(*p);
}

// Args: policy (0 always, 1 interval, 2 never), records per batch, 1 = in-memory Env.
void BM_Append(benchmark::State& state) {
  const auto policy = FsyncPolicy(state.range(0));
  const std::vector<Record> batch = Batch(size_t(state.range(1)));
  MemEnv mem;
  Env* env = state.range(2) ? static_cast<Env*>(&mem) : PosixEnvironment();
  Scratch scratch(env);
  std::unique_ptr<Partition> p = OpenOrDie(env, scratch.dir, policy);
  for (auto _ : state) {
    if (!p->Append(batch).ok()) state.SkipWithError("append failed");
  }
  if (!p->Sync().ok()) state.SkipWithError("sync failed");
  state.SetItemsProcessed(int64_t(state.iterations()) * state.range(1));
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(1) * int64_t(kValueBytes));
}

// Sequential consumer reads of 1000 records from a partition of 1M records.
void BM_Read(benchmark::State& state) {
  MemEnv mem;
  Env* env = state.range(0) ? static_cast<Env*>(&mem) : PosixEnvironment();
  Scratch scratch(env);
  std::unique_ptr<Partition> p = OpenOrDie(env, scratch.dir, FsyncPolicy::kNever);
  const std::vector<Record> batch = Batch(100);
  for (int i = 0; i < 10000; ++i) {
    if (!p->Append(batch).ok()) std::abort();
  }
  Offset from = 0;
  int64_t records = 0;
  for (auto _ : state) {
    Result<std::vector<Record>> got = p->Read(from, ReadOptions{.max_records = 1000});
    if (!got.ok() || got->empty()) {
      state.SkipWithError("read failed");
      break;
    }
    records += int64_t(got->size());
    from = got->back().offset + 1;
    if (from == p->LogEndOffset()) from = 0;
  }
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(records * int64_t(kValueBytes));
}

// Replication's path: whole encoded batches, no decoding.
void BM_ReadBatches(benchmark::State& state) {
  MemEnv mem;
  Env* env = state.range(0) ? static_cast<Env*>(&mem) : PosixEnvironment();
  Scratch scratch(env);
  std::unique_ptr<Partition> p = OpenOrDie(env, scratch.dir, FsyncPolicy::kNever);
  const std::vector<Record> batch = Batch(100);
  for (int i = 0; i < 10000; ++i) {
    if (!p->Append(batch).ok()) std::abort();
  }
  Offset from = 0;
  int64_t records = 0;
  for (auto _ : state) {
    Result<Bytes> got = p->ReadBatches(from, 1 << 20);
    if (!got.ok() || got->empty()) {
      state.SkipWithError("read failed");
      break;
    }
    ByteSpan rest(*got);
    while (!rest.empty()) {
      const BatchHeader h = *ParseBatchHeader(rest);
      records += h.record_count;
      from = h.next_offset();
      rest = rest.subspan(h.length);
    }
    if (from == p->LogEndOffset()) from = 0;
  }
  state.SetItemsProcessed(records);
}

void AppendArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"policy", "batch", "mem"});
  for (int64_t policy : {0, 1, 2}) {
    for (int64_t batch : {1, 100}) b->Args({policy, batch, 0});
  }
  b->Args({2, 1, 1});
  b->Args({2, 100, 1});
}

BENCHMARK(BM_Append)->Apply(AppendArgs)->UseRealTime();
BENCHMARK(BM_Read)->ArgName("mem")->Arg(0)->Arg(1)->UseRealTime();
BENCHMARK(BM_ReadBatches)->ArgName("mem")->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace dlog::log

BENCHMARK_MAIN();
