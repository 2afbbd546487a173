#include "service/replica_node.h"

#include <chrono>
#include <map>

namespace dlog::service {

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kMaxWriteBytes = 1 << 20;  // frames gathered into one Write
constexpr stack::Timeout kWriteTimeout = std::chrono::seconds(2);

replica::ProduceOutcome Lost(uint64_t request_id, std::string why) {
  replica::ProduceOutcome o;
  o.request_id = request_id;
  o.code = replica::ProduceCode::kLost;
  o.message = std::move(why);
  return o;
}

}  // namespace

ReplicaNode::ReplicaNode(stack::Stack* stack, std::unique_ptr<stack::Listener> listener,
                         ReplicaNodeOptions options)
    : stack_(stack), listener_(std::move(listener)), options_(std::move(options)) {}

Result<std::unique_ptr<ReplicaNode>> ReplicaNode::Start(stack::Stack* stack,
                                                        std::unique_ptr<stack::Listener> listener,
                                                        log::Env* env, const std::string& dir,
                                                        ReplicaNodeOptions options, Rng* rng,
                                                        const Clock* clock) {
  if (listener == nullptr) return Status::Error("no listener for the replica node");
  auto replica = replica::ReplicatedPartition::Open(env, dir, options.replica, rng, clock);
  if (!replica.ok()) return replica.status();
  std::unique_ptr<ReplicaNode> node(new ReplicaNode(stack, std::move(listener), options));
  node->replica_ = std::move(*replica);
  node->committed_end_ = node->replica_->end_offset();
  for (const ReplicaPeer& p : node->options_.peers) {
    auto peer = std::make_unique<Peer>();
    peer->info = p;
    node->peers_.push_back(std::move(peer));
  }
  for (auto& p : node->peers_) {
    Peer* raw = p.get();
    raw->thread = std::thread([n = node.get(), raw] { n->SendLoop(raw); });
  }
  node->acceptor_ = std::thread([n = node.get()] { n->AcceptLoop(); });
  node->driver_ = std::thread([n = node.get()] { n->DriverLoop(); });
  return node;
}

ReplicaNode::~ReplicaNode() { Stop(); }

void ReplicaNode::Stop() {
  if (stopping_.exchange(true)) return;
  cv_.notify_all();
  listener_->Close();
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& p : peers_) {
    {
      std::lock_guard lock(p->mu);
      if (p->stream != nullptr) p->stream->Close();
    }
    p->cv.notify_all();
    if (p->thread.joinable()) p->thread.join();
  }
  std::list<std::unique_ptr<Inbound>> inbound;
  {
    std::lock_guard lock(mu_);
    for (auto& in : inbound_) in->stream->Close();
    inbound.swap(inbound_);
  }
  for (auto& in : inbound) in->thread.join();
  if (driver_.joinable()) driver_.join();
  std::lock_guard lock(mu_);
  for (auto& job : jobs_) {
    if (job->is_read) {
      job->read.set_value(Status::Error("replica node stopped"));
    } else {
      job->produced.set_value(Lost(job->produce.request_id, "replica node stopped"));
    }
  }
  jobs_.clear();
  leader_ = raft::kNoNode;
}

ReplicaNodeCounters ReplicaNode::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

replica::ProduceOutcome ReplicaNode::Produce(replica::ProduceRequest request,
                                             std::chrono::milliseconds timeout) {
  auto job = std::make_shared<Job>();
  const uint64_t id = request.request_id;
  job->produce = std::move(request);
  std::future<replica::ProduceOutcome> f = job->produced.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Lost(id, "replica node stopped");
    if (jobs_.size() >= options_.max_queue) {
      replica::ProduceOutcome busy = Lost(id, "produce queue full");
      busy.code = replica::ProduceCode::kBusy;
      return busy;
    }
    jobs_.push_back(job);
  }
  cv_.notify_all();
  if (f.wait_for(timeout) != std::future_status::ready) return Lost(id, "timed out");
  return f.get();
}

Result<std::vector<log::Record>> ReplicaNode::Read(log::Offset from, uint32_t max_records) {
  auto job = std::make_shared<Job>();
  job->is_read = true;
  job->from = from;
  job->max_records = max_records;
  auto f = job->read.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Error("replica node stopped");
    if (jobs_.size() >= options_.max_queue) return Status::Error("replica node busy");
    jobs_.push_back(job);
  }
  cv_.notify_all();
  if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return Status::Error("read timed out");
  }
  return f.get();
}

void ReplicaNode::DriverLoop() {
  // Outcomes come back under internal request ids, mapped to the callers' jobs.
  std::map<uint64_t, std::shared_ptr<Job>> waiting;  // bounded by the replica's max_pending
  uint64_t next_id = 1;
  auto next_tick = SteadyClock::now() + options_.tick;
  bool failed = false;
  while (!stopping_ && !failed) {
    std::deque<raft::Message> messages;
    std::deque<std::shared_ptr<Job>> jobs;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_tick,
                     [&] { return stopping_.load() || !inbox_.empty() || !jobs_.empty(); });
      if (stopping_) break;
      messages.swap(inbox_);
      jobs.swap(jobs_);
    }
    for (raft::Message& m : messages) (void)replica_->Step(std::move(m));
    for (auto& job : jobs) {
      if (job->is_read) {
        log::ReadOptions ro;
        ro.max_records = job->max_records;
        job->read.set_value(replica_->Read(job->from, ro, replica::ReadFrom::kLocalCommitted));
        continue;
      }
      replica::ProduceRequest r = job->produce;
      r.request_id = next_id++;
      std::optional<replica::ProduceOutcome> now = replica_->Produce(std::move(r));
      if (now) {
        now->request_id = job->produce.request_id;
        job->produced.set_value(std::move(*now));
      } else {
        waiting[next_id - 1] = job;
      }
    }
    if (SteadyClock::now() >= next_tick) {
      replica_->Tick();
      next_tick += options_.tick;
      if (next_tick < SteadyClock::now()) next_tick = SteadyClock::now() + options_.tick;
    }
    for (int i = 0; i < 64; ++i) {
      if (Status s = replica_->Process(); !s.ok()) {
        failed = true;  // storage failure: this replica stops serving
        break;
      }
      Route(replica_->TakeMessages());
      if (!replica_->HasWork()) break;
    }
    for (replica::ProduceOutcome& o : replica_->TakeOutcomes()) {
      auto it = waiting.find(o.request_id);
      if (it == waiting.end()) continue;
      o.request_id = it->second->produce.request_id;
      it->second->produced.set_value(std::move(o));
      waiting.erase(it);
    }
    leader_ = replica_->leader();
    committed_end_ = replica_->end_offset();
  }
  for (auto& [id, job] : waiting) {
    job->produced.set_value(Lost(job->produce.request_id, "replica node stopped"));
  }
  leader_ = raft::kNoNode;
}

void ReplicaNode::Route(const std::vector<raft::Message>& messages) {
  for (const raft::Message& m : messages) {
    Peer* peer = nullptr;
    for (auto& p : peers_) {
      if (p->info.id == m.to) peer = p.get();
    }
    if (peer == nullptr) continue;
    Bytes frame = replica::EncodeRaftFrame(options_.group, m);
    bool dropped = false;
    {
      std::lock_guard lock(peer->mu);
      if (peer->queue.size() >= options_.max_queue) {
        dropped = true;
      } else {
        peer->queue.push_back(std::move(frame));
      }
    }
    if (dropped) {
      std::lock_guard lock(mu_);
      ++counters_.dropped_outbound;
    }
    peer->cv.notify_one();
  }
}

void ReplicaNode::SendLoop(Peer* peer) {
  std::unique_ptr<stack::Stream> stream;
  while (!stopping_) {
    Bytes out;
    size_t frames = 0;
    {
      std::unique_lock lock(peer->mu);
      peer->cv.wait_for(lock, std::chrono::milliseconds(100),
                        [&] { return stopping_.load() || !peer->queue.empty(); });
      if (stopping_) break;
      while (!peer->queue.empty() && out.size() < kMaxWriteBytes) {
        out.insert(out.end(), peer->queue.front().begin(), peer->queue.front().end());
        peer->queue.pop_front();
        ++frames;
      }
    }
    if (frames == 0) continue;
    if (stream == nullptr) {
      auto c = stack_->Connect(peer->info.address, options_.connect_timeout);
      if (!c.ok()) {
        {
          std::lock_guard lock(mu_);
          counters_.dropped_outbound += frames;
        }
        std::unique_lock lock(peer->mu);
        peer->cv.wait_for(lock, options_.redial_pause, [&] { return stopping_.load(); });
        continue;
      }
      std::lock_guard lock(peer->mu);
      stream = std::move(*c);
      peer->stream = stream.get();
      if (stopping_) break;
    }
    if (stream->Write(out, kWriteTimeout).ok()) {
      std::lock_guard lock(mu_);
      counters_.frames_out += frames;
      continue;
    }
    {
      std::lock_guard lock(peer->mu);
      peer->stream = nullptr;
    }
    stream->Close();
    stream.reset();
    std::lock_guard lock(mu_);
    counters_.dropped_outbound += frames;
  }
  std::lock_guard lock(peer->mu);
  peer->stream = nullptr;
  if (stream) stream->Close();
}

void ReplicaNode::AcceptLoop() {
  while (!stopping_) {
    auto a = listener_->Accept(std::chrono::milliseconds(200));
    std::lock_guard lock(mu_);
    for (auto it = inbound_.begin(); it != inbound_.end();) {
      if ((*it)->done) {
        (*it)->thread.join();
        it = inbound_.erase(it);
      } else {
        ++it;
      }
    }
    if (!a.ok()) {
      if (stack::IsTimedOut(a.status())) continue;
      return;
    }
    if (stopping_ || inbound_.size() >= options_.max_peers) {
      a->stream->Close();
      continue;
    }
    auto in = std::make_unique<Inbound>();
    in->stream = std::move(a->stream);
    Inbound* raw = in.get();
    inbound_.push_back(std::move(in));
    raw->thread = std::thread([this, raw] { ReadLoop(raw); });
  }
}

void ReplicaNode::ReadLoop(Inbound* in) {
  replica::FrameReader reader;
  std::vector<uint8_t> buffer(64 * 1024);
  while (!stopping_) {
    auto n = in->stream->Read(MutableByteSpan(buffer));
    if (!n.ok() || *n == 0) break;
    reader.Feed(ByteSpan(buffer.data(), *n));
    bool bad = false;
    size_t got = 0;
    for (;;) {
      auto f = reader.Next();
      if (!f.ok()) {
        bad = true;
        break;
      }
      if (!f->has_value()) break;
      if ((*f)->group != options_.group) continue;
      std::lock_guard lock(mu_);
      ++counters_.frames_in;
      if (inbox_.size() >= options_.max_queue) {
        ++counters_.dropped_inbox;
      } else {
        inbox_.push_back(std::move((*f)->message));
        ++got;
      }
    }
    if (got > 0) cv_.notify_all();
    if (bad) {
      std::lock_guard lock(mu_);
      ++counters_.bad_streams;
      break;
    }
  }
  in->stream->Close();
  in->done = true;
}

}  // namespace dlog::service
