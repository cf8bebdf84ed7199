// Group commit, the one mechanism under both logs: callers of Append queue
// their records; one writer thread takes every request waiting at that
// moment (up to a bound on records, never less than one request) and hands
// them to the log as one group: one synced write (EmbeddedLog), one
// transaction (KafkaLog). Each caller gets its own positions, or the
// group's error.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "events/event_log.h"

namespace ledger {

class GroupWriter {
 public:
  // Writes one group: the records of each request, in arrival order. Returns
  // each request's positions (one vector per request, in the same order),
  // or the error every request of the group gets. Runs on the writer thread
  // only, one group at a time.
  using WriteFn = std::function<Result<std::vector<std::vector<Position>>>(
      std::vector<std::vector<PendingRecord>>& group)>;

  // Starts the writer thread. A group takes requests while their records add
  // up to at most `max_group_records` (0: no bound).
  GroupWriter(WriteFn write, size_t max_group_records);
  ~GroupWriter();  // Stop()
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  // Queues the records and waits until their group is written. Thread-safe.
  // Unavailable once Stop was called.
  Result<std::vector<Position>> Append(std::vector<PendingRecord> records);
  // Refuses new appends, writes those already queued, joins the thread.
  void Stop();
  // Groups handed to the log so far (to observe group commit).
  uint64_t groups() const;

 private:
  struct Request {
    std::vector<PendingRecord> records;
    std::promise<Result<std::vector<Position>>> done;
  };
  void Loop();

  const WriteFn write_;
  const size_t max_group_records_;
  mutable std::mutex mu_;  // guards everything below but thread_
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Request>> queue_;
  bool stopping_ = false;
  uint64_t groups_ = 0;
  std::thread thread_;
};

}  // namespace ledger
