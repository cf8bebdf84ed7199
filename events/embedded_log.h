// EmbeddedLog: the event log in a RocksDB database of its own, the default
// that needs nothing started. Key = partition (4 bytes BE) + offset (8 bytes
// BE); value = the record's bytes (docs/log-format.md).
//
// Appends are durable when they return: a single writer thread gathers every
// append waiting at that moment into one WriteBatch and one synced write
// (group commit), assigning offsets and chaining hashes as it goes.
#pragma once

#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "events/event_log.h"

namespace rocksdb {
class DB;
}

namespace ledger {

struct EmbeddedLogOptions {
  // Used only when the log is created; an existing log keeps its count.
  uint32_t partitions = 6;
  // false only for benchmarks that measure the cost of syncing.
  bool sync = true;
};

class EmbeddedLog final : public EventLog {
 public:
  // Opens or creates the log in `dir`.
  static Result<std::unique_ptr<EmbeddedLog>> Open(const std::string& dir,
                                                   EmbeddedLogOptions options = {});
  ~EmbeddedLog() override;

  uint32_t partitions() const override { return partitions_; }
  Result<std::vector<Position>> Append(std::vector<PendingRecord> records) override;
  Result<std::vector<LogRecord>> Read(PartitionId partition, Offset from, size_t max) override;
  Result<Offset> EndOffset(PartitionId partition) override;
  std::string Describe() const override { return "embedded:" + dir_; }

  // Number of synced writes so far (to observe group commit).
  uint64_t sync_count() const;

 private:
  struct Head {
    Offset next = 0;
    Hash32 last_hash{};
  };
  struct Request {
    std::vector<PendingRecord> records;
    std::promise<Result<std::vector<Position>>> done;
  };

  EmbeddedLog(std::string dir, std::unique_ptr<rocksdb::DB> db, uint32_t partitions, bool sync);
  Status LoadHeads();
  void WriterLoop();
  void WriteGroup(std::vector<std::unique_ptr<Request>>& group);

  const std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  const uint32_t partitions_;
  const bool sync_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Request>> queue_;
  bool stopping_ = false;
  uint64_t syncs_ = 0;
  std::vector<Head> heads_;  // touched only by the writer thread after Open
  std::thread writer_;
};

}  // namespace ledger
