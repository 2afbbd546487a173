// A deterministic, seeded simulation of a Raft cluster under faults (TigerBeetle /
// FoundationDB style), driving the same Raft core as the daemon.
//
// One seed fixes everything: a virtual clock (ms), N nodes with MemoryStorage and a disk
// latency, a network that loses, duplicates, delays and so reorders messages (every
// message goes through the wire codec), symmetric and asymmetric partitions, crashes
// that drop whatever was not synced and restarts, membership changes, and clients that
// propose records through whichever node they think leads, retry, and count acks.
//
// Phases: chaos for chaos_ms (faults at random), then heal (every node up, every link
// up and in order, no loss or duplication; clients send one last record each). SimChecker
// (sim_checker.h) checks safety throughout; liveness requires, within heal_deadline_ms of the heal,
// every record acknowledged and every voter applying the same committed prefix.
//
// Replay: RunSimulation(options) with the same options and seed repeats the run
// exactly (same digest); set trace to watch it. docs/CONSENSUS.md has the recipe.
#pragma once

#include <cstdint>
#include <string>

#include "raft/config.h"

namespace dlog::raft {

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 3;
  int voters = 0;  // bootstrap voters are nodes 1..voters (0: all); others join later
  int clients = 2;
  int client_window = 3;  // records in flight per client
  double spray = 0.3;     // chance a request also goes to a random node (during chaos)

  int64_t tick_ms = 10;
  int election_ticks = 10;
  int64_t chaos_ms = 3000;
  int64_t heal_deadline_ms = 6000;
  int64_t mean_fault_gap_ms = 150;

  double loss = 0.05;  // during chaos; faults also change it, in [0, max_loss]
  double max_loss = 0.3;
  double duplicate = 0.03;
  // Each directed link delivers in order (as a stream would), except that a message is
  // delayed on its own, overtaking or overtaken, with probability `reorder`.
  double reorder = 0.1;
  int64_t min_delay_ms = 1;
  int64_t max_delay_ms = 25;
  int64_t max_disk_ms = 4;

  bool crashes = true;
  bool partitions = true;
  bool membership_changes = false;

  // Small Appends and windows make for more interleavings per simulated second.
  uint64_t max_append_bytes = 48;
  size_t max_inflight = 8;

  // Broken variants, for tests that show the checker catches them.
  Config::Unsafe unsafe;
  bool unsafe_send_before_persist = false;  // driver sends a Ready's messages first
  bool unsafe_forget_vote = false;          // driver never persists term and vote

  bool trace = false;           // narrate the run on stderr
  bool trace_messages = false;  // and every message delivered
  uint64_t max_events = 3'000'000;
};

struct SimResult {
  bool ok = false;
  std::string violation;  // first violation, with its virtual time
  uint64_t digest = 0;    // of everything that happened: equal for equal runs
  uint64_t events = 0;
  uint64_t messages = 0;
  uint64_t crashes = 0;
  uint64_t partitions = 0;
  uint64_t membership_changes = 0;
  size_t leaders = 0;    // terms that had a leader
  size_t committed = 0;  // highest index applied anywhere
  size_t acked = 0;      // records acknowledged to clients
  int64_t end_ms = 0;

  std::string Summary() const;
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace dlog::raft
