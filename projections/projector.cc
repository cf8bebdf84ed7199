#include "projections/projector.h"

#include <algorithm>

#include <fmt/format.h>
#include <rocksdb/write_batch.h>
#include <nlohmann/json.hpp>

#include "engine/event_subject.h"
#include "events/codec.h"
#include "projections/keys.h"
#include "projections/views.h"

namespace ledger {

namespace {
std::string_view Sv(const flatbuffers::String* s) {
  return s ? s->string_view() : std::string_view();
}
}  // namespace

// Per merchant and month (of the event): complaints accepted, delays recorded,
// cases resolved, as the merchant's own totals moved.
void Projector::CountMonthly(const MerchantState& m,
                             const std::tuple<uint32_t, uint32_t, uint32_t>& before, TimeMs at) {
  const auto& [complaints, delays, resolved] = before;
  if (m.complaints == complaints && m.delays_total == delays && m.resolved == resolved) return;
  const std::string month = FormatDate(at).substr(0, 7);
  auto add = [&](const char* kind, uint32_t now, uint32_t was) {
    if (now != was)
      counters_[keys::Monthly(m.merchant_id, month, kind)] += static_cast<int64_t>(now) - was;
  };
  add("complaints", m.complaints, complaints);
  add("delays", m.delays_total, delays);
  add("resolved", m.resolved, resolved);
}

// Secondary indexes and counters that follow a case's changes.
void Projector::IndexCase(const CaseState& before, const CaseState& after, TimeMs at) {
  const bool was_open = !before.case_id.empty() && !IsTerminal(before.status);
  const bool is_open = !IsTerminal(after.status);
  const std::string old_key = was_open ? keys::OpenCase(before) : "";
  const std::string new_key = is_open ? keys::OpenCase(after) : "";
  if (old_key != new_key) {
    if (!old_key.empty()) batch_->Delete(store_.handle(Cf::kIndex), old_key);
    if (!new_key.empty()) batch_->Put(store_.handle(Cf::kIndex), new_key, "");
  }
  if (before.accepted_at_ms == 0 && after.accepted_at_ms > 0) ++counters_[keys::Count(after)];
  if (!before.responded && after.responded && after.accepted_at_ms > 0) {
    // First response time, exact, sorted.
    const TimeMs took = at - after.accepted_at_ms;
    batch_->Put(store_.handle(Cf::kIndex),
                keys::ResponseTime(after.merchant_id, took, after.case_id), "");
    batch_->Put(store_.handle(Cf::kIndex), keys::ResponseTimeAll(took, after.case_id), "");
  }
}

// The stored result of a command, rendered exactly as nlohmann::json::dump
// would render the same object (keys sorted), so that a command split across
// replay batches is stored byte for byte as when it was written whole.
std::string Projector::CommandRecord::Render() const {
  std::string out = "{";
  if (!case_id.empty()) out += "\"case_id\":" + nlohmann::json(case_id).dump() + ",";
  out += "\"command_id\":" + nlohmann::json(command_id).dump();
  out += ",\"digest\":\"" + digest + "\"";
  if (!events.empty()) {
    out += ",\"events\":[";
    for (size_t i = 0; i < events.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += fmt::format("{{\"offset\":{},\"partition\":{},\"type\":\"{}\"}}", events[i].offset,
                         events[i].partition, events[i].type);
    }
    out += "]";
  }
  out += "}";
  return out;
}

Projector::CommandRecord Projector::CommandRecord::Opened(std::string_view command_id,
                                                          std::string_view raw_digest) {
  CommandRecord r;
  r.command_id = command_id;
  r.digest = HexOf(reinterpret_cast<const uint8_t*>(raw_digest.data()), raw_digest.size());
  return r;
}

Result<Projector::CommandRecord> Projector::CommandRecord::Parse(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("command_id")) {
    return Status::Corruption("views: unreadable command result");
  }
  CommandRecord r;
  r.command_id = j.value("command_id", "");
  r.digest = j.value("digest", "");
  r.case_id = j.value("case_id", "");
  if (j.contains("events") && j["events"].is_array()) {
    for (const auto& e : j["events"]) {
      r.events.push_back({e.value("type", ""), e.value("partition", PartitionId{0}),
                          e.value("offset", Offset{0})});
    }
  }
  return r;
}

Projector::Projector(ViewStore& store)
    : store_(store), batch_(std::make_unique<rocksdb::WriteBatch>()) {}
Projector::~Projector() = default;

void Projector::SetTransactionOwner(const std::string& key, std::optional<std::string> case_id) {
  if (case_id) {
    batch_->Put(store_.handle(Cf::kIndex), key, *case_id);
  } else {
    batch_->Delete(store_.handle(Cf::kIndex), key);
  }
  transactions_[key] = std::move(case_id);
}

Result<CaseState*> Projector::LoadCase(const std::string& id) {
  auto it = cases_.find(id);
  if (it != cases_.end()) return it->second.get();
  LEDGER_ASSIGN_OR_RETURN(auto raw, store_.Get(Cf::kCases, id));
  std::unique_ptr<CaseState> state;
  if (raw) {
    LEDGER_ASSIGN_OR_RETURN(state, DecodeCaseState(*raw));
  }
  CaseState* p = state.get();
  cases_.emplace(id, std::move(state));
  return p;
}

Result<MerchantState*> Projector::LoadMerchant(const std::string& id) {
  auto it = merchants_.find(id);
  if (it != merchants_.end()) return it->second.get();
  LEDGER_ASSIGN_OR_RETURN(auto raw, store_.Get(Cf::kMerchants, id));
  std::unique_ptr<MerchantState> state;
  if (raw) {
    LEDGER_ASSIGN_OR_RETURN(state, DecodeMerchantState(*raw));
  }
  MerchantState* p = state.get();
  merchants_.emplace(id, std::move(state));
  return p;
}

Result<const CaseState*> Projector::Case(const std::string& id) {
  LEDGER_ASSIGN_OR_RETURN(CaseState * c, LoadCase(id));
  return static_cast<const CaseState*>(c);
}

Result<const MerchantState*> Projector::Merchant(const std::string& id) {
  LEDGER_ASSIGN_OR_RETURN(MerchantState * m, LoadMerchant(id));
  return static_cast<const MerchantState*>(m);
}

Result<std::optional<std::string>> Projector::TransactionOwner(const std::string& key) {
  auto it = transactions_.find(key);
  if (it != transactions_.end()) return it->second;
  return store_.Get(Cf::kIndex, key);
}

Result<std::optional<std::string>> Projector::CommandResult(const std::string& id) {
  auto it = command_digests_.find(id);
  if (it != command_digests_.end())
    return std::optional<std::string>(CommandRecord::Opened(id, it->second).Render());
  return store_.Get(Cf::kCommands, id);
}

void Projector::DiffTimers(const std::vector<Timer>& before, const std::vector<Timer>& after,
                           std::vector<Timer>* new_timers) {
  // A case implies at most three timers: compare them directly.
  auto has = [](const std::vector<Timer>& v, const Timer& t) {
    return std::find(v.begin(), v.end(), t) != v.end();
  };
  for (const auto& t : before) {
    if (!has(after, t)) PutTimer(t, false, nullptr);
  }
  for (const auto& t : after) {
    if (has(before, t)) continue;
    PutTimer(t, true, new_timers);
  }
}

void Projector::PutTimer(const Timer& t, bool put, std::vector<Timer>* new_timers) {
  // Staged in order: a later put or delete of the same key wins, as it
  // would in a map.
  if (put) {
    batch_->Put(store_.handle(Cf::kTimers), keys::TimerKey(t), "");
    if (new_timers) new_timers->push_back(t);
  } else {
    batch_->Delete(store_.handle(Cf::kTimers), keys::TimerKey(t));
  }
}

Status Projector::Stage(std::string_view record, std::vector<Timer>* new_timers) {
  LEDGER_ASSIGN_OR_RETURN(const fb::Event* e, DecodeEvent(record));
  std::string merchant_id = e->partition_key() ? e->partition_key()->str() : "";
  std::string case_id(CaseIdOf(*e));

  LEDGER_ASSIGN_OR_RETURN(MerchantState * m, LoadMerchant(merchant_id));
  if (m == nullptr && e->payload_type() != fb::Payload::MerchantRegistered) {
    return Status::Corruption(fmt::format("event {} names merchant {} that was never registered",
                                          e->event_id() ? e->event_id()->str() : "?", merchant_id));
  }
  std::unique_ptr<CaseState> before;
  CaseState* c = nullptr;
  if (!case_id.empty()) {
    LEDGER_ASSIGN_OR_RETURN(c, LoadCase(case_id));
    if (c == nullptr && (e->payload_type() == fb::Payload::ComplaintFiled ||
                         e->payload_type() == fb::Payload::CfpbComplaintFiled)) {
      cases_[case_id] = std::make_unique<CaseState>();
      c = cases_[case_id].get();
    }
    if (c == nullptr) {
      return Status::Corruption(fmt::format("event {} names case {} that was never filed",
                                            e->event_id() ? e->event_id()->str() : "?", case_id));
    }
    // The state before the event, but for its list of events, which the
    // rules never read and which would make the copy grow with the case.
    std::vector<fb::EventPosition> events = std::move(c->events);
    before.reset(new CaseState(*c));
    c->events = std::move(events);
    EvolveCase(*c, *e);
    DiffTimers(TimersOf(*before), TimersOf(*c), new_timers);
    IndexCase(*before, *c, e->occurred_at_ms());
    dirty_cases_.insert(case_id);
    if (e->payload_type() == fb::Payload::ComplaintFiled && c->transaction) {
      SetTransactionOwner(keys::Transaction(merchant_id, *c->transaction), case_id);
    }
    if (e->payload_type() == fb::Payload::ComplaintFiled && !c->tracking_code.empty()) {
      batch_->Put(store_.handle(Cf::kIndex), keys::Tracking(c->tracking_code), case_id);
    }
    if (e->payload_type() == fb::Payload::CfpbStatusPublished) {
      counters_[keys::CfpbCount(*c, Sv(e->payload_as_CfpbStatusPublished()->company_response()))] +=
          1;
    }
    if (e->payload_type() == fb::Payload::TransactionRejected && c->transaction) {
      SetTransactionOwner(keys::Transaction(merchant_id, *c->transaction), std::nullopt);
    }
  }
  if (m == nullptr) {
    merchants_[merchant_id] = std::make_unique<MerchantState>();
    m = merchants_[merchant_id].get();
  }
  // A merchant's timers are one per active delay and the reinstatement timer.
  // A missed deadline adds a delay and its decay removes it (the decay event
  // occurs at its timer's due time).
  const std::optional<Timer> reinstatement_before = ReinstatementTimerOf(*m);
  const auto counts_before = std::make_tuple(m->complaints, m->delays_total, m->resolved);
  EvolveMerchant(*m, *e, before.get(), c);
  CountMonthly(*m, counts_before, e->occurred_at_ms());
  if (e->payload_type() == fb::Payload::ResponseDeadlineMissed) {
    const auto* p = e->payload_as_ResponseDeadlineMissed();
    PutTimer(DelayTimer(merchant_id, Sv(p->case_id()), p->window(), p->delay_decays_at_ms()), true,
             new_timers);
  }
  if (e->payload_type() == fb::Payload::DelayDecayed) {
    const auto* p = e->payload_as_DelayDecayed();
    PutTimer(DelayTimer(merchant_id, Sv(p->case_id()), p->window(), e->occurred_at_ms()), false,
             nullptr);
  }
  const std::optional<Timer> reinstatement_after = ReinstatementTimerOf(*m);
  if (reinstatement_before != reinstatement_after) {
    if (reinstatement_before) PutTimer(*reinstatement_before, false, nullptr);
    if (reinstatement_after) PutTimer(*reinstatement_after, true, new_timers);
  }
  dirty_merchants_.insert(merchant_id);

  StagedEvent s;
  s.case_id = std::move(case_id);
  s.merchant_id = std::move(merchant_id);
  s.command_id = e->command_id() ? e->command_id()->str() : "";
  if (e->command_digest()) {
    s.command_digest.assign(reinterpret_cast<const char*>(e->command_digest()->data()),
                            e->command_digest()->size());
  }
  s.type = PayloadName(*e);
  s.opens_command = e->event_id() && OpensCommand(e->event_id()->string_view());
  if (!s.command_id.empty()) command_digests_.emplace(s.command_id, s.command_digest);
  if (m->events % kSnapshotEvery == 0) s.snapshot = std::make_unique<MerchantState>(*m);
  s.at = e->occurred_at_ms();
  if (e->policy_version()) {
    last_policy_version_.assign(e->policy_version()->string_view());
  } else {
    last_policy_version_.clear();
  }
  last_schema_version_ = e->schema_version();
  staged_.push_back(std::move(s));
  return Status::Ok();
}

Result<Position> Projector::StageFromLog(const LogRecord& r, Hash32& head,
                                         const std::string& log_name) {
  LEDGER_ASSIGN_OR_RETURN(const fb::Event* e, DecodeEvent(r.bytes, r.partition, r.offset));
  if (!std::equal(head.begin(), head.end(), e->prev_hash()->begin())) {
    return Status::Corruption(
        fmt::format("{}: partition {} offset {}: hash chain broken (prev_hash does not match the "
                    "record before it)",
                    log_name, r.partition, r.offset));
  }
  Status s = Stage(r.bytes);
  if (!s.ok())
    return Status::Corruption(
        fmt::format("partition {} offset {}: {}", r.partition, r.offset, s.message()));
  head = HashRecord(r.bytes);
  return Position{r.partition, r.offset, head};
}

Status Projector::Commit(const std::vector<Position>& positions) {
  if (positions.size() != staged_.size()) {
    return Status::InvalidArgument(
        fmt::format("commit: {} positions for {} staged events", positions.size(), staged_.size()));
  }
  rocksdb::WriteBatch& batch = *batch_;
  // Where the staged events landed: each case keeps all of its events, each
  // merchant those since its last snapshot. A snapshot takes the merchant's
  // recent events up to its own, which then start afresh.
  for (size_t i = 0; i < staged_.size(); ++i) {
    StagedEvent& s = staged_[i];
    const fb::EventPosition at(positions[i].partition, positions[i].offset);
    if (!s.case_id.empty()) {
      auto c = cases_.find(s.case_id);
      if (c != cases_.end() && c->second) c->second->events.push_back(at);
    }
    auto m = merchants_.find(s.merchant_id);
    if (m == merchants_.end() || !m->second) continue;
    std::vector<fb::EventPosition>& recent = m->second->recent_events;
    recent.push_back(at);
    if (s.snapshot) {
      s.snapshot->recent_events = std::move(recent);
      recent.clear();
      batch.Put(store_.handle(Cf::kIndex),
                keys::Snapshot(s.merchant_id, s.at, at.partition(), at.offset()),
                EncodeMerchantState(*s.snapshot));
    }
  }
  for (const auto& id : dirty_cases_) {
    const auto& c = cases_[id];
    if (c) batch.Put(store_.handle(Cf::kCases), id, EncodeCaseState(*c));
  }
  for (const auto& id : dirty_merchants_) {
    const auto& m = merchants_[id];
    if (!m) continue;
    batch.Put(store_.handle(Cf::kMerchants), id, EncodeMerchantState(*m));
    if (collect_indicators_) indicators_[id] = MerchantJson(*m, m->last_event_ms).dump();
  }
  // Command results, analytics, and progress per partition.
  std::map<std::string, CommandRecord> results;
  std::map<PartitionId, const Position*> last;
  TimeMs max_time = 0;
  for (size_t i = 0; i < staged_.size(); ++i) {
    const StagedEvent& s = staged_[i];
    const Position& pos = positions[i];
    if (!s.command_id.empty()) {
      auto it = results.find(s.command_id);
      if (it == results.end()) {
        CommandRecord r;
        // A command's events may span two commits (replay batches): unless
        // this batch holds its first event, extend what is stored.
        if (!s.opens_command) {
          if (open_command_ && open_command_->command_id == s.command_id) {
            r = std::move(*open_command_);
            open_command_.reset();
          } else {
            LEDGER_ASSIGN_OR_RETURN(auto prior, store_.Get(Cf::kCommands, s.command_id));
            if (prior) {
              LEDGER_ASSIGN_OR_RETURN(r, CommandRecord::Parse(*prior));
            }
          }
        }
        if (r.command_id.empty()) r = CommandRecord::Opened(s.command_id, s.command_digest);
        it = results.emplace(s.command_id, std::move(r)).first;
      }
      if (!s.case_id.empty() && it->second.case_id.empty()) it->second.case_id = s.case_id;
      it->second.events.push_back({std::string(s.type), pos.partition, pos.offset});
    }
    last[pos.partition] = &pos;
    max_time = std::max(max_time, s.at);
  }
  for (const auto& [id, r] : results) batch.Put(store_.handle(Cf::kCommands), id, r.Render());
  // Counters and the latest time are merged (sum, max) by the store, so
  // projectors of different partitions may commit at once.
  for (const auto& [key, delta] : counters_) {
    batch.Merge(store_.handle(Cf::kAnalytics), key, EncodeU64(static_cast<uint64_t>(delta)));
  }
  for (const auto& [p, pos] : last) {
    batch.Put(store_.handle(Cf::kMeta), keys::NextOffset(p), EncodeU64(pos->offset + 1));
    batch.Put(store_.handle(Cf::kMeta), keys::ChainHead(p),
              std::string(reinterpret_cast<const char*>(pos->hash.data()), pos->hash.size()));
  }
  if (!staged_.empty()) {
    batch.Put(store_.handle(Cf::kMeta), "policy_version", last_policy_version_);
    batch.Put(store_.handle(Cf::kMeta), "schema_version", std::to_string(last_schema_version_));
  }
  if (max_time > 0) batch.Merge(store_.handle(Cf::kMeta), keys::kMaxTime, EncodeU64(max_time));
  Status s = store_.Write(batch);
  if (!s.ok()) {
    Discard();
    indicators_.clear();
    return s;
  }
  // The cached states now equal the stored ones: keep them for the next
  // batch (heavy merchants are not decoded again), within a bound; and the
  // last command's result, which the next batch may extend.
  open_command_.reset();
  if (!staged_.empty() && !staged_.back().command_id.empty()) {
    auto it = results.find(staged_.back().command_id);
    if (it != results.end()) open_command_ = std::move(it->second);
  }
  if (cases_.size() > kMaxCachedCases) cases_.clear();
  if (merchants_.size() > kMaxCachedMerchants) merchants_.clear();
  ClearStaged();
  return s;
}

void Projector::Discard() {
  cases_.clear();
  merchants_.clear();
  open_command_.reset();
  ClearStaged();
}

void Projector::ClearStaged() {
  dirty_cases_.clear();
  dirty_merchants_.clear();
  batch_->Clear();
  transactions_.clear();
  command_digests_.clear();
  counters_.clear();
  staged_.clear();
}

}  // namespace ledger
