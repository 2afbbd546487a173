// A deterministic, seeded simulation of replicated partitions under faults (the
// pattern of src/raft/sim.h, one level up): N replicas, each a ReplicatedPartition with
// its Raft log and its log::Partition on its own MemEnv, a network that loses,
// duplicates, delays and reorders messages (each one goes through the 9093 frame codec,
// wire.h), partitions (symmetric and one-way), crashes that drop unsynced bytes (a
// random prefix of them survives: torn writes) and restarts.
//
// Clients are idempotent producers with acks=all: each sends batch 0, 1, 2, ... one at a
// time, to whichever replica it believes leads, and retries the same sequence on a
// timeout, kLost, kBusy or kNotLeader (following the hint).
//
// Phases: chaos for chaos_ms, then heal (every replica up, links up and reliable; each
// client sends one last batch). Liveness: within heal_deadline_ms, every client done
// and every replica applied the same committed entries. Then the checker
// (sim_check.cc) reads every replica's partition and requires: identical records at
// identical offsets on all replicas; every batch at most once, its records contiguous;
// each producer's batches in sequence order; every acknowledged batch present, at the
// offsets its acknowledgement gave.
//
// Replay: the same options (seed included) repeat a run exactly (same digest).
#pragma once

#include <cstdint>
#include <string>

namespace dlog::replica {

struct ReplicaSimOptions {
  uint64_t seed = 1;
  int nodes = 3;
  int clients = 3;
  int max_records_per_batch = 3;

  int64_t tick_ms = 10;
  int election_ticks = 10;
  int64_t chaos_ms = 6000;
  int64_t heal_deadline_ms = 8000;
  int64_t mean_fault_gap_ms = 200;
  int64_t client_timeout_ms = 150;  // doubled after the first retry

  double loss = 0.05;  // during chaos; faults change it within [0, max_loss]
  double max_loss = 0.3;
  double duplicate = 0.03;
  double reorder = 0.1;  // chance a message takes its own delay (overtakes or is overtaken)
  int64_t min_delay_ms = 1;
  int64_t max_delay_ms = 25;

  bool crashes = true;
  bool partitions = true;
  uint64_t max_append_bytes = 512;  // small Appends: more interleavings
  uint64_t checkpoint_every = 5;    // applied entries between apply checkpoints

  // Broken variant for the test that shows the checker catches it: producers do not
  // identify themselves (producer id 0), so a retry after a lost answer appends twice.
  bool unsafe_no_dedup = false;
  // Producers ask for acks=leader and count that as acknowledged: a leader deposed
  // before it replicated the batch loses it.
  bool unsafe_acks_leader = false;

  bool trace = false;  // narrate on stderr
  uint64_t max_events = 3'000'000;
};

struct ReplicaSimResult {
  bool ok = false;
  std::string violation;  // first violation, with its virtual time
  uint64_t digest = 0;
  uint64_t events = 0;
  uint64_t messages = 0;
  uint64_t crashes = 0;
  uint64_t torn_tails = 0;  // restarts whose Raft log had a torn tail cut
  uint64_t resumes = 0;     // restarts that resumed from an apply checkpoint
  uint64_t partitions = 0;
  uint64_t acked = 0;       // batches acknowledged to clients
  uint64_t duplicates = 0;  // of which as kDuplicate: a retry found its batch applied
  uint64_t retries = 0;     // client resends
  uint64_t records = 0;     // records in the final committed log
  int64_t end_ms = 0;

  std::string Summary() const;
};

ReplicaSimResult RunReplicaSimulation(const ReplicaSimOptions& options);

}  // namespace dlog::replica
