// KafkaLog: the event log in an Apache Kafka topic (default
// "complaints.events"), one Kafka partition per log partition, with the same
// contract as EmbeddedLog (events/event_log.h).
//
// Writing: one transactional, idempotent producer (acks=all). A single writer
// thread gathers every Append waiting at that moment into one Kafka
// transaction (group commit), fills each record's prev_hash from the
// partition's chain head kept in memory, produces every record to
// PartitionFor(partition_key) with the key = partition_key, and commits. An
// Append returns once its transaction is committed and its records are
// visible to read_committed readers (the coordinator writes the commit
// markers just after the commit returns; the writer waits for them, bounded);
// positions carry the real Kafka offsets from the delivery reports.
//
// The chain needs a single writer per topic: the transactional id (by
// default derived from the topic) is what makes a second writer fence the
// first. Writers with different ids on one topic would fork the chain.
// Adding partitions to the topic later changes PartitionFor's mapping: don't.
//
// The producer is opened by the first Append, so a KafkaLog opened only to
// read fences nobody. A second KafkaLog with the same transactional id that
// appends fences the first: the first's next Append fails with kConflict
// ("fenced") and nothing it produced becomes visible to read_committed
// readers. A fenced log stays fenced; reopen to take over again.
//
// Failures: a group that fails is aborted and every Append in it gets the
// same error: kUnavailable when the broker cannot be reached in time,
// kConflict when fenced, kIoError otherwise. When the outcome of a commit is
// unknown (the broker stopped answering during the commit) the error says so:
// the records may or may not be in the log. Before the next group the writer
// then recreates its producer (the transaction coordinator finishes or aborts
// the pending transaction) and reloads the chain heads from the log, so the
// chain stays intact either way.
//
// Reading: a read_committed consumer without a group subscription (assign and
// seek only, nothing committed). Kafka offsets are not contiguous: transaction
// markers (one per partition per commit, and aborted records) occupy offsets
// that no reader ever sees. So, unlike EmbeddedLog:
//   - offsets increase within a partition but have gaps;
//   - EndOffset is the last stable offset (the offset after the last
//     committed record, marker included): the offset the next record will get
//     at the earliest, NOT a count of records;
//   - Read(p, from, n) returns the committed records with offset >= from; the
//     first one may have an offset above `from`.
//
// Every wait is bounded by the timeouts in KafkaLogOptions.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/event_log.h"
#include "events/group_writer.h"

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace ledger {

struct KafkaLogOptions {
  // Comma-separated host:port list (bootstrap.servers).
  std::string bootstrap = "127.0.0.1:9092";
  std::string topic = "complaints.events";
  // Used only when the topic is created (replication factor 1, retention.ms=-1);
  // an existing topic keeps its own partition count.
  uint32_t partitions = 6;
  // "" means "ledger-writer-" + topic. Writers with the same id fence each other.
  std::string transactional_id;
  // librdkafka's message.timeout.ms: how long a record may wait for delivery.
  // Must not exceed transaction_timeout_ms.
  int message_timeout_ms = 60000;
  // transaction.timeout.ms: the broker aborts a transaction left open longer.
  int transaction_timeout_ms = 60000;
  // Bound on each broker operation: open (metadata, topic creation,
  // init_transactions, loading the chain heads), commit, abort.
  int operation_timeout_ms = 60000;
  // Bound on one Read or EndOffset.
  int read_timeout_ms = 15000;
  // A group (one transaction) takes waiting Appends up to about this many records.
  size_t max_group_records = 10000;
};

class KafkaLog final : public EventLog {
 public:
  // Connects and creates the topic if missing. The first Append initialises
  // the transactional producer (fencing any earlier writer with the same
  // transactional id and ending its open transaction) and loads each
  // partition's chain head from its last committed record.
  static Result<std::unique_ptr<KafkaLog>> Open(const KafkaLogOptions& options);
  ~KafkaLog() override;

  KafkaLog(const KafkaLog&) = delete;
  KafkaLog& operator=(const KafkaLog&) = delete;

  uint32_t partitions() const override { return partitions_; }
  OffsetKind offset_kind() const override { return OffsetKind::kSparse; }
  Result<std::vector<Position>> Append(std::vector<PendingRecord> records) override;
  // Committed records of `partition` with offset >= from, up to `max`, in
  // order; stops at the end of what is committed now. Empty means "nothing
  // committed at or after `from`". If the broker does not answer within
  // read_timeout_ms: the records read so far, or kUnavailable if none.
  Result<std::vector<LogRecord>> Read(PartitionId partition, Offset from, size_t max) override;
  // The last stable offset of `partition` (read_committed view): greater than
  // every committed record's offset. Not a record count (see above).
  Result<Offset> EndOffset(PartitionId partition) override;
  // A broker that has just restarted may report a high watermark below the
  // records it holds for a few seconds: asks again, for up to 10 s.
  Result<Offset> EndOffsetAtLeast(PartitionId partition, Offset expected) override;
  // The high watermark, through a short-lived read_uncommitted consumer.
  Result<Offset> WrittenEnd(PartitionId partition) override;
  // "kafka://HOST:PORT/TOPIC" (HOST:PORT is the bootstrap list as given).
  std::string Describe() const override;

  const std::string& topic() const { return options_.topic; }
  const std::string& transactional_id() const { return options_.transactional_id; }
  // Number of transactions attempted (to observe group commit).
  uint64_t sync_count() const;

 private:
  // One produced record of the group in progress, filled by its delivery report.
  struct Slot {
    PartitionId partition = 0;
    Hash32 hash{};
    bool delivered = false;
    int error = 0;  // rd_kafka_resp_err_t
    int32_t reported_partition = -1;
    int64_t offset = -1;
  };
  using Clock = std::chrono::steady_clock;

  explicit KafkaLog(KafkaLogOptions options);

  Result<rd_kafka_s*> NewConsumer(const char* isolation_level);
  Status OpenConsumer();
  Result<uint32_t> EnsureTopic();
  Status CreateTopic();
  Status OpenProducer();
  void CloseProducer();
  Status LoadHeads(Clock::time_point deadline);
  // Reads committed records; the caller holds read_mu_. *reached_end tells
  // whether the read got to the end of what is committed.
  Result<std::vector<LogRecord>> ReadLocked(PartitionId partition, Offset from, size_t max,
                                            Clock::time_point deadline, bool* reached_end);
  Status Watermarks(PartitionId partition, Clock::time_point deadline, int64_t* low, int64_t* high);

  // The writer thread's work: one transaction for the group.
  Result<std::vector<std::vector<Position>>> CommitGroup(
      std::vector<std::vector<PendingRecord>>& group);
  Status AbortWith(Status cause);
  void WaitVisible();
  Status FatalStatus();
  Status Recover();
  std::string LastError();

  static void OnDelivery(rd_kafka_s* rk, const rd_kafka_message_s* msg, void* opaque);
  static void OnError(rd_kafka_s* rk, int err, const char* reason, void* opaque);

  KafkaLogOptions options_;
  uint32_t partitions_ = 0;

  // Reading (Read, EndOffset's neighbours, loading heads) uses the consumer.
  std::mutex read_mu_;
  rd_kafka_s* consumer_ = nullptr;

  // Touched only by the writer thread after Open.
  rd_kafka_s* producer_ = nullptr;
  std::vector<Hash32> heads_;
  std::vector<Slot> slots_;
  uint32_t generation_ = 0;
  bool needs_recovery_ = false;
  Status fenced_;  // not ok once fenced: every later Append fails with it

  std::unique_ptr<GroupWriter> writer_;

  std::mutex err_mu_;
  std::string last_error_;  // from librdkafka's error callback, for messages
};

}  // namespace ledger
