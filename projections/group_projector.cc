#include "projections/group_projector.h"

#include <chrono>
#include <map>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "events/kafka_admin.h"
#include "projections/projector.h"

namespace ledger {

namespace {

// The state the rebalance callback needs, reached through the opaque pointer.
struct Worker {
  ViewStore* views = nullptr;
  Projector* projector = nullptr;
  std::vector<Position> pending;    // staged, not yet committed
  std::map<int32_t, Hash32> heads;  // owned partitions' chain heads
  std::map<int32_t, Offset> next;   // next offset expected per owned partition
  std::string log_name;
  Status error;  // first failure; stops the loop

  Status Flush() {
    if (pending.empty()) return Status::Ok();
    Status s = projector->Commit(pending);
    pending.clear();
    return s;
  }
};

void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                 void* opaque) {
  auto* w = static_cast<Worker*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    // Resume each partition from this process's own checkpoint of it.
    for (int i = 0; i < parts->cnt; ++i) {
      const auto p = static_cast<PartitionId>(parts->elems[i].partition);
      auto next = w->views->NextOffset(p);
      auto head = w->views->ChainHead(p);
      if (!next.ok() || !head.ok()) {
        if (w->error.ok()) w->error = next.ok() ? head.status() : next.status();
        continue;
      }
      parts->elems[i].offset = static_cast<int64_t>(next.value());
      w->next[parts->elems[i].partition] = next.value();
      w->heads[parts->elems[i].partition] = head.value();
    }
    rd_kafka_assign(rk, parts);
    return;
  }
  // Revoked (or lost): commit what was staged for them before letting go.
  Status s = w->Flush();
  if (!s.ok() && w->error.ok()) w->error = s;
  w->next.clear();
  w->heads.clear();
  rd_kafka_assign(rk, nullptr);
}

}  // namespace

Result<GroupProjectorReport> RunGroupProjector(const GroupProjectorOptions& o,
                                               const std::atomic<bool>& stop) {
  LEDGER_ASSIGN_OR_RETURN(auto views, ViewStore::Open(o.views_dir));
  Projector projector(*views);
  Worker w;
  w.views = views.get();
  w.projector = &projector;
  w.log_name = fmt::format("kafka://{}/{}", o.kafka.bootstrap, o.kafka.topic);

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", o.kafka.bootstrap},
           {"group.id", o.group},
           {"isolation.level", "read_committed"},
           {"enable.auto.commit", "false"},  // offsets live with the state, not in Kafka
           {"enable.auto.offset.store", "false"},
           {"auto.offset.reset", "earliest"},
           {"session.timeout.ms", std::to_string(o.session_timeout_ms)},
           {"heartbeat.interval.ms", std::to_string(std::max(500, o.session_timeout_ms / 4))},
           {"partition.assignment.strategy", "range"}}) {
    Status s = SetKafkaConf(conf, k, v);
    if (!s.ok()) {
      rd_kafka_conf_destroy(conf);
      return s;
    }
  }
  rd_kafka_conf_set_rebalance_cb(conf, OnRebalance);
  rd_kafka_conf_set_opaque(conf, &w);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Status::IoError(fmt::format("projector consumer: {}", errstr));
  }
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> handle(rk, rd_kafka_destroy);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, o.kafka.topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t sub = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (sub)
    return Status::IoError(
        fmt::format("subscribe to {}: {}", o.kafka.topic, rd_kafka_err2str(sub)));

  GroupProjectorReport report;
  auto last_record = std::chrono::steady_clock::now();
  auto last_flush = last_record;
  while (!stop && w.error.ok()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    const auto now = std::chrono::steady_clock::now();
    if (m != nullptr) {
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        last_record = now;
        const int32_t p = m->partition;
        auto it = w.next.find(p);
        if (it != w.next.end() && static_cast<Offset>(m->offset) >= it->second) {
          LogRecord r{static_cast<PartitionId>(p), static_cast<Offset>(m->offset),
                      std::string(static_cast<const char*>(m->payload), m->len)};
          auto pos = projector.StageFromLog(r, w.heads[p], w.log_name);
          if (pos.ok()) {
            w.pending.push_back(pos.value());
            it->second = r.offset + 1;
            ++report.applied;
          } else {
            w.error = pos.status();
          }
        }
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        // Transient broker trouble is retried by librdkafka; a fatal error stops us.
        if (rd_kafka_fatal_error(rk, nullptr, 0))
          w.error = Status::IoError(rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
    if (w.pending.size() >= 2000 ||
        (!w.pending.empty() && now - last_flush > std::chrono::milliseconds(200))) {
      Status s = w.Flush();
      if (!s.ok()) w.error = s;
      last_flush = now;
    }
    if (o.idle_exit_ms > 0 && now - last_record > std::chrono::milliseconds(o.idle_exit_ms)) break;
  }
  Status s = w.Flush();
  if (w.error.ok() && !s.ok()) w.error = s;
  for (const auto& [p, unused] : w.next) report.owned.insert(p);
  rd_kafka_consumer_close(rk);
  if (!w.error.ok()) return w.error;
  LEDGER_ASSIGN_OR_RETURN(report.digest, views->Digest());
  return report;
}

}  // namespace ledger
