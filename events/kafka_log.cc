#include "events/kafka_log.h"

#include "events/kafka_admin.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "events/codec.h"

namespace ledger {

namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, std::numeric_limits<int>::max()));
}

Clock::time_point After(int ms) { return Clock::now() + std::chrono::milliseconds(ms); }

struct ErrorDeleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

bool IsFenced(rd_kafka_resp_err_t e) {
  return e == RD_KAFKA_RESP_ERR__FENCED || e == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         e == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

// Errors that mean "the broker is not reachable or not ready now".
bool IsTransient(rd_kafka_resp_err_t e) {
  switch (e) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__NODE_UPDATE:
    case RD_KAFKA_RESP_ERR__WAIT_CACHE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
      return true;
    default:
      return false;
  }
}

Status StatusOf(rd_kafka_resp_err_t e, std::string message) {
  if (IsTransient(e)) return Status::Unavailable(std::move(message));
  if (IsFenced(e)) return Status::Conflict(std::move(message));
  return Status::IoError(std::move(message));
}

// Takes ownership of `error`.
Status StatusOf(rd_kafka_error_t* raw, const std::string& what) {
  ErrorPtr error(raw);
  const auto code = rd_kafka_error_code(raw);
  std::string message = fmt::format("{}: {}", what, rd_kafka_error_string(raw));
  if (rd_kafka_error_is_retriable(raw)) return Status::Unavailable(std::move(message));
  return StatusOf(code, std::move(message));
}

bool HasFatal(rd_kafka_t* rk) {
  char buf[256];
  return rd_kafka_fatal_error(rk, buf, sizeof buf) != RD_KAFKA_RESP_ERR_NO_ERROR;
}

std::string RandomHex(size_t n) {
  std::random_device rd;
  std::string out;
  while (out.size() < n) out += fmt::format("{:08x}", rd());
  out.resize(n);
  return out;
}

}  // namespace

// ---- librdkafka callbacks (must not throw) -----------------------------------

void KafkaLog::OnDelivery(rd_kafka_s* /*rk*/, const rd_kafka_message_s* msg, void* opaque) {
  // Served only on the writer thread (flush, poll, commit, abort).
  auto* log = static_cast<KafkaLog*>(opaque);
  if (log == nullptr || msg == nullptr) return;
  const auto token = reinterpret_cast<uintptr_t>(msg->_private);
  const auto generation = static_cast<uint32_t>(token >> 32);
  const auto index = static_cast<size_t>(token & 0xffffffffu);
  if (generation != log->generation_ || index >= log->slots_.size()) return;  // from an old group
  Slot& s = log->slots_[index];
  s.delivered = true;
  s.error = msg->err;
  s.reported_partition = msg->partition;
  s.offset = msg->offset;
}

void KafkaLog::OnError(rd_kafka_s* /*rk*/, int err, const char* reason, void* opaque) {
  auto* log = static_cast<KafkaLog*>(opaque);
  if (log == nullptr) return;
  try {
    std::lock_guard<std::mutex> lock(log->err_mu_);
    log->last_error_ = fmt::format("{} ({})", reason ? reason : "",
                                   rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)));
  } catch (...) {
    // Nothing to do: the message is only a hint.
  }
}

std::string KafkaLog::LastError() {
  std::lock_guard<std::mutex> lock(err_mu_);
  return last_error_.empty() ? std::string() : "; last client error: " + last_error_;
}

// ---- open and close -------------------------------------------------------------

KafkaLog::KafkaLog(KafkaLogOptions options) : options_(std::move(options)) {}

std::string KafkaLog::Describe() const {
  return fmt::format("kafka://{}/{}", options_.bootstrap, options_.topic);
}

Result<std::unique_ptr<KafkaLog>> KafkaLog::Open(const KafkaLogOptions& options) {
  KafkaLogOptions o = options;
  if (o.bootstrap.empty()) return Status::InvalidArgument("kafka log: empty bootstrap address");
  if (o.topic.empty()) return Status::InvalidArgument("kafka log: empty topic name");
  if (o.partitions == 0) return Status::InvalidArgument("kafka log needs at least one partition");
  if (o.message_timeout_ms <= 0 || o.transaction_timeout_ms <= 0 || o.operation_timeout_ms <= 0 ||
      o.read_timeout_ms <= 0) {
    return Status::InvalidArgument("kafka log: timeouts must be positive");
  }
  if (o.message_timeout_ms > o.transaction_timeout_ms) {
    return Status::InvalidArgument(fmt::format(
        "kafka log: message timeout ({} ms) must not exceed the transaction timeout ({} ms)",
        o.message_timeout_ms, o.transaction_timeout_ms));
  }
  if (o.max_group_records == 0) o.max_group_records = 1;
  if (o.transactional_id.empty()) o.transactional_id = "ledger-writer-" + o.topic;

  std::unique_ptr<KafkaLog> log(new KafkaLog(std::move(o)));
  LEDGER_RETURN_IF_ERROR(log->OpenConsumer());
  LEDGER_ASSIGN_OR_RETURN(log->partitions_, log->EnsureTopic());
  // The producer is opened by the first Append, not here: opening it fences
  // any other writer with this transactional id, and a log opened only to be
  // read (verify, export, a query, an auditor's replay) must not knock over
  // the server that writes to the topic. Its Recover also loads the heads.
  log->writer_ = std::make_unique<GroupWriter>(
      [l = log.get()](std::vector<std::vector<PendingRecord>>& group) {
        return l->CommitGroup(group);
      },
      log->options_.max_group_records);
  return log;
}

KafkaLog::~KafkaLog() {
  writer_.reset();  // writes what is queued, then stops
  CloseProducer();
  if (consumer_ != nullptr) {
    rd_kafka_assign(consumer_, nullptr);
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
    consumer_ = nullptr;
  }
}

namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

Status SetConf(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    return Status::InvalidArgument(fmt::format("kafka config {}={}: {}", key, value, errstr));
  }
  return Status::Ok();
}

}  // namespace

// A consumer that never joins its group (assign only) and commits nothing,
// reading committed records only or, for WrittenEnd, everything written.
Result<rd_kafka_s*> KafkaLog::NewConsumer(const char* isolation_level) {
  ConfPtr conf(rd_kafka_conf_new());
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", options_.bootstrap},
      {"client.id", "ledger-reader"},
      // A group id is required by the consumer API; it is never joined
      // (assign only) and no offset is ever committed to it.
      {"group.id", "ledger-reader-" + RandomHex(16)},
      {"isolation.level", isolation_level},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "error"},
      {"allow.auto.create.topics", "false"},
      // Reads stop at the end of the partition: a fetch there should come
      // back quickly rather than wait for data.
      {"fetch.wait.max.ms", "10"},
      {"queued.max.messages.kbytes", "16384"},
      {"socket.timeout.ms", std::to_string(std::max(options_.read_timeout_ms, 10))},
  };
  for (const auto& [k, v] : settings) LEDGER_RETURN_IF_ERROR(SetConf(conf.get(), k, v));
  rd_kafka_conf_set_error_cb(conf.get(), [](rd_kafka_t* rk, int err, const char* reason,
                                            void* opaque) { OnError(rk, err, reason, opaque); });
  rd_kafka_conf_set_opaque(conf.get(), this);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) {
    return Status::IoError(fmt::format("{}: cannot create consumer: {}", Describe(), errstr));
  }
  conf.release();  // owned by the handle now
  return rk;
}

Status KafkaLog::OpenConsumer() {
  LEDGER_ASSIGN_OR_RETURN(consumer_, NewConsumer("read_committed"));
  rd_kafka_poll_set_consumer(consumer_);
  return Status::Ok();
}

Status KafkaLog::CreateTopic() {
  // The log is the source of truth: never delete old records.
  Status s = CreateKafkaTopic(consumer_, options_.topic, static_cast<int>(options_.partitions),
                              {{"retention.ms", "-1"}}, options_.operation_timeout_ms);
  if (s.ok()) return s;
  const std::string message =
      fmt::format("{}: cannot create topic: {}{}", Describe(), s.message(), LastError());
  switch (s.code()) {
    case Code::kUnavailable:
      return Status::Unavailable(message);
    case Code::kInvalidArgument:
      return Status::InvalidArgument(message);
    default:
      return Status::IoError(message);
  }
}

Result<uint32_t> KafkaLog::EnsureTopic() {
  const auto deadline = After(options_.operation_timeout_ms);
  std::unique_ptr<rd_kafka_topic_t, void (*)(rd_kafka_topic_t*)> rkt(
      rd_kafka_topic_new(consumer_, options_.topic.c_str(), nullptr), rd_kafka_topic_destroy);
  if (!rkt) {
    return Status::InvalidArgument(
        fmt::format("{}: bad topic name: {}", Describe(), rd_kafka_err2str(rd_kafka_last_error())));
  }
  bool created = false;
  std::string last = "no answer";
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) {
      if (RemainingMs(deadline) == 0) {
        return Status::Unavailable(fmt::format("{}: topic not available within {} ms: {}{}",
                                               Describe(), options_.operation_timeout_ms, last,
                                               LastError()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 * attempt, 500)));
    }
    const rd_kafka_metadata_t* md = nullptr;
    const auto err =
        rd_kafka_metadata(consumer_, 0, rkt.get(), &md, std::max(RemainingMs(deadline), 1));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      last = rd_kafka_err2str(err);
      if (!IsTransient(err)) {
        return StatusOf(err, fmt::format("{}: metadata: {}{}", Describe(), last, LastError()));
      }
      continue;
    }
    std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> holder(
        md, rd_kafka_metadata_destroy);
    const rd_kafka_metadata_topic_t* t = nullptr;
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (options_.topic == md->topics[i].topic) t = &md->topics[i];
    }
    const auto terr = t ? t->err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      last = "topic does not exist yet";
      if (!created) {
        LEDGER_RETURN_IF_ERROR(CreateTopic());
        created = true;
      }
      continue;
    }
    if (terr != RD_KAFKA_RESP_ERR_NO_ERROR) {
      last = rd_kafka_err2str(terr);
      if (!IsTransient(terr))
        return StatusOf(terr, fmt::format("{}: topic metadata: {}", Describe(), last));
      continue;
    }
    bool ready = t->partition_cnt > 0;
    for (int i = 0; i < t->partition_cnt; ++i) {
      if (t->partitions[i].err != RD_KAFKA_RESP_ERR_NO_ERROR || t->partitions[i].leader < 0)
        ready = false;
    }
    if (!ready) {
      last = "partitions have no leader yet";
      continue;
    }
    return static_cast<uint32_t>(t->partition_cnt);
  }
}

Status KafkaLog::OpenProducer() {
  ConfPtr conf(rd_kafka_conf_new());
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", options_.bootstrap},
      {"client.id", "ledger-writer"},
      {"transactional.id", options_.transactional_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"message.timeout.ms", std::to_string(options_.message_timeout_ms)},
      {"transaction.timeout.ms", std::to_string(options_.transaction_timeout_ms)},
      {"linger.ms", "1"},
  };
  for (const auto& [k, v] : settings) LEDGER_RETURN_IF_ERROR(SetConf(conf.get(), k, v));
  rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t* rk, const rd_kafka_message_t* m,
                                             void* opaque) { OnDelivery(rk, m, opaque); });
  rd_kafka_conf_set_error_cb(conf.get(), [](rd_kafka_t* rk, int err, const char* reason,
                                            void* opaque) { OnError(rk, err, reason, opaque); });
  rd_kafka_conf_set_opaque(conf.get(), this);
  char errstr[512];
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr);
  if (producer_ == nullptr) {
    return Status::IoError(fmt::format("{}: cannot create producer: {}", Describe(), errstr));
  }
  conf.release();
  if (rd_kafka_error_t* e = rd_kafka_init_transactions(producer_, options_.operation_timeout_ms)) {
    Status s = StatusOf(
        e, fmt::format("{}: cannot initialise transactional id '{}' within {} ms", Describe(),
                       options_.transactional_id, options_.operation_timeout_ms));
    CloseProducer();
    if (s.code() == Code::kUnavailable) return Status::Unavailable(s.message() + LastError());
    return s;
  }
  return Status::Ok();
}

void KafkaLog::CloseProducer() {
  if (producer_ == nullptr) return;
  // Anything still queued belongs to a group that has already failed.
  rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(producer_, 0);
  ++generation_;  // no delivery report may touch the slots any more
  rd_kafka_destroy(producer_);
  producer_ = nullptr;
}

// ---- reading ------------------------------------------------------------------------

// Low watermark and last stable offset (the consumer reads committed only).
// Retries while the broker says "not ready" (e.g. a partition just created),
// until the deadline.
Status KafkaLog::Watermarks(PartitionId partition, Clock::time_point deadline, int64_t* low,
                            int64_t* high) {
  for (int attempt = 0;; ++attempt) {
    const auto err = rd_kafka_query_watermark_offsets(consumer_, options_.topic.c_str(),
                                                      static_cast<int32_t>(partition), low, high,
                                                      std::max(RemainingMs(deadline), 1));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
    const bool not_yet = IsTransient(err) || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                         err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
                         err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    if (!not_yet || RemainingMs(deadline) == 0) {
      return StatusOf(err, fmt::format("{}: partition {}: cannot query offsets: {}{}", Describe(),
                                       partition, rd_kafka_err2str(err), LastError()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(20 * (attempt + 1), 200)));
  }
}

Result<std::vector<LogRecord>> KafkaLog::ReadLocked(PartitionId partition, Offset from, size_t max,
                                                    Clock::time_point deadline, bool* reached_end) {
  std::vector<LogRecord> out;
  *reached_end = false;
  if (max == 0) return out;
  int64_t low = 0, end = 0;
  LEDGER_RETURN_IF_ERROR(Watermarks(partition, deadline, &low, &end));
  if (from >= static_cast<Offset>(std::max<int64_t>(end, 0))) {  // nothing committed there
    *reached_end = true;
    return out;
  }
  if (from < static_cast<Offset>(std::max<int64_t>(low, 0))) {
    return Status::NotFound(fmt::format(
        "{}: partition {}: offset {} is before the first offset still in the topic ({}): "
        "deleted by retention?",
        Describe(), partition, from, low));
  }

  PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), options_.topic.c_str(),
                                    static_cast<int32_t>(partition))
      ->offset = static_cast<int64_t>(from);
  if (auto err = rd_kafka_assign(consumer_, list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return StatusOf(err, fmt::format("{}: partition {}: cannot assign: {}", Describe(), partition,
                                     rd_kafka_err2str(err)));
  }
  // Stop fetching whatever happens below.
  struct Unassign {
    rd_kafka_t* rk;
    ~Unassign() { rd_kafka_assign(rk, nullptr); }
  } unassign{consumer_};

  std::string transient;
  bool eof = false;
  while (!eof && out.size() < max) {
    const int wait = std::min(RemainingMs(deadline), 100);
    if (wait == 0) break;
    MessagePtr msg(rd_kafka_consumer_poll(consumer_, wait));
    if (!msg) continue;
    const bool ours = msg->rkt != nullptr && options_.topic == rd_kafka_topic_name(msg->rkt) &&
                      msg->partition == static_cast<int32_t>(partition);
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (ours) eof = true;
      continue;
    }
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string what = rd_kafka_message_errstr(msg.get());
      if (IsTransient(msg->err)) {
        transient = what;
        continue;
      }
      if (!msg->rkt || ours) {
        return StatusOf(msg->err, fmt::format("{}: partition {}: read from offset {}: {}",
                                              Describe(), partition, from, what));
      }
      continue;
    }
    if (!ours || msg->offset < static_cast<int64_t>(from)) continue;  // stale
    if (!out.empty() && static_cast<Offset>(msg->offset) <= out.back().offset) continue;
    LogRecord r;
    r.partition = partition;
    r.offset = static_cast<Offset>(msg->offset);
    r.bytes.assign(static_cast<const char*>(msg->payload), msg->len);
    out.push_back(std::move(r));
  }
  *reached_end = eof;
  if (!eof && out.empty()) {
    return Status::Unavailable(fmt::format(
        "{}: partition {}: no answer reading from offset {} (committed end {}) in time{}{}",
        Describe(), partition, from, end, transient.empty() ? "" : ": " + transient, LastError()));
  }
  return out;
}

Result<std::vector<LogRecord>> KafkaLog::Read(PartitionId partition, Offset from, size_t max) {
  if (partition >= partitions_) {
    return Status::InvalidArgument(
        fmt::format("partition {} does not exist ({} has {})", partition, Describe(), partitions_));
  }
  std::lock_guard<std::mutex> lock(read_mu_);
  bool reached_end = false;
  return ReadLocked(partition, from, max, After(options_.read_timeout_ms), &reached_end);
}

Result<Offset> KafkaLog::EndOffset(PartitionId partition) {
  if (partition >= partitions_) {
    return Status::InvalidArgument(fmt::format("partition {} does not exist", partition));
  }
  int64_t low = 0, high = 0;
  LEDGER_RETURN_IF_ERROR(Watermarks(partition, After(options_.read_timeout_ms), &low, &high));
  return static_cast<Offset>(std::max<int64_t>(high, 0));
}

Result<Offset> KafkaLog::EndOffsetAtLeast(PartitionId partition, Offset expected) {
  const auto started = Clock::now();
  LEDGER_ASSIGN_OR_RETURN(Offset end, EndOffset(partition));
  for (int attempt = 0; end < expected && attempt < 50; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    LEDGER_ASSIGN_OR_RETURN(end, EndOffset(partition));
  }
  if (end >= expected) return end;
  // Still short. Either the records are gone (the caller reports that), or
  // they are written but a transaction holding them has no marker yet: after
  // a broker restart its coordinator writes the markers of the transactions
  // it finds prepared, and aborts open ones once transaction.timeout.ms has
  // passed. Readers of committed records stop at the first open one.
  LEDGER_ASSIGN_OR_RETURN(Offset written, WrittenEnd(partition));
  if (written < expected) return end;
  const auto deadline = After(options_.transaction_timeout_ms + 20000);
  while (end < expected && RemainingMs(deadline) > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    LEDGER_ASSIGN_OR_RETURN(end, EndOffset(partition));
  }
  if (end >= expected) return end;
  return Status::Unavailable(fmt::format(
      "{}: partition {}: a transaction holding offset {} has been neither committed nor aborted "
      "for {} s "
      "(records are written up to offset {}, committed ones readable before it); the broker's "
      "transaction coordinator should end it (transaction.timeout.ms is {} ms); try again, or end "
      "it "
      "with kafka-transactions.sh",
      Describe(), partition, end,
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count(), written - 1,
      options_.transaction_timeout_ms));
}

Result<Offset> KafkaLog::WrittenEnd(PartitionId partition) {
  LEDGER_ASSIGN_OR_RETURN(rd_kafka_t * rk, NewConsumer("read_uncommitted"));
  int64_t low = 0, high = 0;
  const auto err =
      rd_kafka_query_watermark_offsets(rk, options_.topic.c_str(), static_cast<int32_t>(partition),
                                       &low, &high, std::max(options_.read_timeout_ms, 1));
  rd_kafka_destroy(rk);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return StatusOf(err, fmt::format("{}: partition {}: cannot query offsets: {}", Describe(),
                                     partition, rd_kafka_err2str(err)));
  }
  return static_cast<Offset>(std::max<int64_t>(high, 0));
}

// The head of each partition's chain: the hash of its last committed record.
// Transaction markers and aborted records occupy offsets at the end, so read
// a window before the end, widening it until a record turns up.
Status KafkaLog::LoadHeads(Clock::time_point deadline) {
  std::lock_guard<std::mutex> lock(read_mu_);
  std::vector<Hash32> heads(partitions_, ZeroHash());
  for (PartitionId p = 0; p < partitions_; ++p) {
    int64_t low = 0, end = 0;
    LEDGER_RETURN_IF_ERROR(Watermarks(p, deadline, &low, &end));
    int64_t back = 16;
    while (end > low) {
      const int64_t start = std::max(low, end - back);
      bool reached_end = false;
      LEDGER_ASSIGN_OR_RETURN(auto records, ReadLocked(p, static_cast<Offset>(start), SIZE_MAX,
                                                       deadline, &reached_end));
      if (!reached_end) {
        return Status::Unavailable(
            fmt::format("{}: partition {}: cannot read to the end (offset {}) in time{}",
                        Describe(), p, end, LastError()));
      }
      if (!records.empty()) {
        heads[p] = HashRecord(records.back().bytes);
        break;
      }
      if (start == low) break;  // only markers and aborted records
      back *= 8;
    }
  }
  heads_ = std::move(heads);
  return Status::Ok();
}

// ---- writing --------------------------------------------------------------------------

Result<std::vector<Position>> KafkaLog::Append(std::vector<PendingRecord> records) {
  return writer_->Append(std::move(records));
}

uint64_t KafkaLog::sync_count() const { return writer_->groups(); }

// The status for the producer's fatal error; remembers fencing for good.
Status KafkaLog::FatalStatus() {
  char reason[512] = "";
  const auto err = rd_kafka_fatal_error(producer_, reason, sizeof reason);
  if (IsFenced(err)) {
    fenced_ = Status::Conflict(
        fmt::format("{}: this writer was fenced: another writer opened transactional id '{}' ({}: "
                    "{}); nothing of "
                    "this append was committed; reopen the log to write again",
                    Describe(), options_.transactional_id, rd_kafka_err2name(err), reason));
    return fenced_;
  }
  needs_recovery_ = true;
  return Status::IoError(
      fmt::format("{}: fatal producer error {}: {}; the producer will be recreated", Describe(),
                  rd_kafka_err2name(err), reason));
}

// Aborts the open transaction after `cause`; the heads were restored by the caller.
Status KafkaLog::AbortWith(Status cause) {
  if (rd_kafka_error_t* e = rd_kafka_abort_transaction(producer_, options_.operation_timeout_ms)) {
    ErrorPtr error(e);
    if (rd_kafka_error_is_fatal(e) || HasFatal(producer_)) {
      Status fatal = FatalStatus();
      if (fatal.code() == Code::kConflict) return fatal;
    }
    // The abort could not finish: start over with a new producer, which makes
    // the coordinator abort this transaction, and reread the heads.
    needs_recovery_ = true;
    return Status(cause.code() == Code::kUnavailable
                      ? Status::Unavailable(fmt::format("{} (abort failed too: {})",
                                                        cause.message(), rd_kafka_error_string(e)))
                      : Status::IoError(fmt::format("{} (abort failed too: {})", cause.message(),
                                                    rd_kafka_error_string(e))));
  }
  return cause;
}

Status KafkaLog::Recover() {
  CloseProducer();
  const auto deadline = After(options_.operation_timeout_ms);
  LEDGER_RETURN_IF_ERROR(OpenProducer());
  if (Status s = LoadHeads(deadline); !s.ok()) {
    CloseProducer();  // start over next time: the heads must be read after init
    return s;
  }
  needs_recovery_ = false;
  return Status::Ok();
}

// The coordinator writes the commit markers into the partitions after the
// commit returns, so for a moment read_committed readers (Read, EndOffset)
// may not see the records yet. Wait until they do, so an Append is readable
// once it returns. Bounded; the records are committed either way. (Failing
// the append instead was tried: the caller's refresh then ran before the
// markers came, missed the records, and a retry of the same command wrote
// it twice.) Markers that never come (a broker killed mid-commit) are
// reported by EndOffsetAtLeast.
void KafkaLog::WaitVisible() {
  std::map<PartitionId, int64_t> last;
  for (const Slot& s : slots_) last[s.partition] = std::max(last[s.partition], s.offset);
  const auto deadline = After(options_.operation_timeout_ms);
  for (const auto& [p, offset] : last) {
    for (int attempt = 0;; ++attempt) {
      int64_t low = 0, high = 0;
      if (Watermarks(p, deadline, &low, &high).ok() && high > offset) break;
      if (RemainingMs(deadline) == 0) return;
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(1 << std::min(attempt, 5), 20)));
    }
  }
}

Result<std::vector<std::vector<Position>>> KafkaLog::CommitGroup(
    std::vector<std::vector<PendingRecord>>& group) {
  if (!fenced_.ok()) return fenced_;
  if (producer_ != nullptr && HasFatal(producer_)) {
    Status fatal = FatalStatus();
    if (fatal.code() == Code::kConflict) return fatal;
  }
  if (needs_recovery_ || producer_ == nullptr) {
    // needs_recovery_ is set only after a producer was opened once.
    const char* what = needs_recovery_ ? "cannot recover the writer: " : "cannot open the writer: ";
    if (Status s = Recover(); !s.ok()) {
      return Status(s.code() == Code::kUnavailable ? Status::Unavailable(what + s.message()) : s);
    }
  }

  const std::vector<Hash32> saved = heads_;
  size_t total = 0;
  for (const auto& r : group) total += r.size();
  ++generation_;
  slots_.assign(total, Slot{});

  if (rd_kafka_error_t* e = rd_kafka_begin_transaction(producer_)) {
    const bool fatal = rd_kafka_error_is_fatal(e);
    Status s = StatusOf(e, fmt::format("{}: cannot begin transaction", Describe()));
    if (fatal) {
      Status f = FatalStatus();
      if (f.code() == Code::kConflict) return f;
    }
    needs_recovery_ = true;
    return s;
  }

  // Produce every record, chaining as we go.
  const auto produce_deadline = After(options_.message_timeout_ms);
  size_t index = 0;
  for (auto& req : group) {
    for (auto& rec : req) {
      const PartitionId p = PartitionFor(rec.partition_key, partitions_);
      SetPrevHash(rec.bytes, heads_[p]);
      heads_[p] = HashRecord(rec.bytes);
      slots_[index].partition = p;
      slots_[index].hash = heads_[p];
      static_assert(sizeof(uintptr_t) >= 8, "delivery tokens pack generation and index");
      const uintptr_t token = (static_cast<uintptr_t>(generation_) << 32) | index;
      for (;;) {
        const auto err =
            rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(options_.topic.c_str()),
                              RD_KAFKA_V_PARTITION(static_cast<int32_t>(p)),
                              RD_KAFKA_V_KEY(rec.partition_key.data(), rec.partition_key.size()),
                              RD_KAFKA_V_VALUE(rec.bytes.data(), rec.bytes.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(token)), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && RemainingMs(produce_deadline) > 0) {
          rd_kafka_poll(producer_, 50);
          continue;
        }
        heads_ = saved;
        if (err == RD_KAFKA_RESP_ERR__FATAL || err == RD_KAFKA_RESP_ERR__FENCED) {
          Status f = FatalStatus();
          if (f.code() == Code::kConflict) return f;
        }
        return AbortWith(
            StatusOf(err, fmt::format("{}: partition {}: cannot produce: {}{}", Describe(), p,
                                      rd_kafka_err2str(err), LastError())));
      }
      ++index;
    }
  }

  // Wait for every delivery report, then check them.
  const auto flush_err = rd_kafka_flush(producer_, options_.message_timeout_ms + 1000);
  for (const Slot& s : slots_) {
    if (s.delivered && s.error == RD_KAFKA_RESP_ERR_NO_ERROR &&
        s.reported_partition == static_cast<int32_t>(s.partition) && s.offset >= 0) {
      continue;
    }
    heads_ = saved;
    if (HasFatal(producer_)) {
      Status f = FatalStatus();
      if (f.code() == Code::kConflict) return f;
    }
    Status cause;
    if (!s.delivered) {
      cause = StatusOf(
          flush_err == RD_KAFKA_RESP_ERR_NO_ERROR ? RD_KAFKA_RESP_ERR__TIMED_OUT : flush_err,
          fmt::format("{}: partition {}: no delivery report within {} ms{}", Describe(),
                      s.partition, options_.message_timeout_ms + 1000, LastError()));
    } else if (s.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const auto err = static_cast<rd_kafka_resp_err_t>(s.error);
      cause = StatusOf(err, fmt::format("{}: partition {}: delivery failed: {}{}", Describe(),
                                        s.partition, rd_kafka_err2str(err), LastError()));
    } else {
      cause =
          Status::IoError(fmt::format("{}: record for partition {} was delivered to partition {}",
                                      Describe(), s.partition, s.reported_partition));
    }
    return AbortWith(std::move(cause));
  }

  if (rd_kafka_error_t* e = rd_kafka_commit_transaction(producer_, options_.operation_timeout_ms)) {
    heads_ = saved;
    const bool fatal = rd_kafka_error_is_fatal(e);
    const bool abortable = rd_kafka_error_txn_requires_abort(e);
    Status s = StatusOf(e, fmt::format("{}: commit failed", Describe()));
    if (fatal) {
      Status f = FatalStatus();
      if (f.code() == Code::kConflict) return f;
      return s;
    }
    if (abortable) return AbortWith(std::move(s));
    // Timed out or similar: the commit may still complete. Recreating the
    // producer settles it either way; the heads are then reread from the log.
    needs_recovery_ = true;
    return Status::Unavailable(
        fmt::format("{} (outcome unknown: the records may or may not be in the log){}", s.message(),
                    LastError()));
  }

  WaitVisible();

  index = 0;
  std::vector<std::vector<Position>> positions(group.size());
  for (size_t g = 0; g < group.size(); ++g) {
    positions[g].reserve(group[g].size());
    for (size_t i = 0; i < group[g].size(); ++i, ++index) {
      const Slot& s = slots_[index];
      positions[g].push_back({s.partition, static_cast<Offset>(s.offset), s.hash});
    }
  }
  slots_.clear();
  return positions;
}

}  // namespace ledger
