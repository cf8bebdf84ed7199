#include "projections/projector.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

#include "events/codec.h"
#include "projections/views.h"

namespace ledger {

namespace {
std::string TxKey(std::string_view merchant, std::string_view ref, std::string_view terminal, int64_t date, int64_t amount) {
  std::string k = "tx/";
  k += merchant;
  k.push_back('\0');
  k += ref;
  k.push_back('\0');
  k += terminal;
  k.push_back('\0');
  k += std::to_string(date);
  k.push_back('\0');
  k += std::to_string(amount);
  return k;
}
}  // namespace

std::string Projector::TransactionKey(std::string_view merchant_id, const fb::TransactionT& t) {
  return TxKey(merchant_id, t.reference_number, t.terminal, t.purchase_date_ms, t.amount);
}

std::string Projector::OpenCaseKey(const CaseState& c) {
  std::string k = "st/";
  k += fb::EnumNameCaseStatus(c.status);
  k.push_back('\0');
  k += c.authority;
  k.push_back('\0');
  k += c.case_id;
  return k;
}

std::string Projector::CountKey(const CaseState& c) {
  // Month of acceptance, category, authority, region.
  std::string k = "cnt/" + FormatDate(c.accepted_at_ms).substr(0, 7);
  k.push_back('\0');
  k += fb::EnumNameCategory(c.category);
  k.push_back('\0');
  k += c.authority;
  k.push_back('\0');
  k += c.region;
  return k;
}

std::string Projector::TrackingKey(std::string_view code) { return "trk/" + std::string(code); }

std::string Projector::MonthlyKey(std::string_view merchant_id, std::string_view month, std::string_view kind) {
  std::string k = "mm/";
  k += merchant_id;
  k.push_back('\0');
  k += month;
  k.push_back('\0');
  k += kind;
  return k;
}

// Per merchant and month (of the event): complaints accepted, delays recorded,
// cases resolved, as the merchant's own totals moved.
void Projector::CountMonthly(const MerchantState& m, const std::tuple<uint32_t, uint32_t, uint32_t>& before,
                             TimeMs at) {
  const auto& [complaints, delays, resolved] = before;
  if (m.complaints == complaints && m.delays_total == delays && m.resolved == resolved) return;
  const std::string month = FormatDate(at).substr(0, 7);
  auto add = [&](const char* kind, uint32_t now, uint32_t was) {
    if (now != was) counters_[MonthlyKey(m.merchant_id, month, kind)] += static_cast<int64_t>(now) - was;
  };
  add("complaints", m.complaints, complaints);
  add("delays", m.delays_total, delays);
  add("resolved", m.resolved, resolved);
}

// Secondary indexes and counters that follow a case's changes.
void Projector::IndexCase(const CaseState& before, const CaseState& after, TimeMs at) {
  const bool was_open = !before.case_id.empty() && !IsTerminal(before.status);
  const bool is_open = !IsTerminal(after.status);
  const std::string old_key = was_open ? OpenCaseKey(before) : "";
  const std::string new_key = is_open ? OpenCaseKey(after) : "";
  if (old_key != new_key) {
    if (!old_key.empty()) index_[old_key] = std::nullopt;
    if (!new_key.empty()) index_[new_key] = std::string();
  }
  if (before.accepted_at_ms == 0 && after.accepted_at_ms > 0) ++counters_[CountKey(after)];
  if (!before.responded && after.responded && after.accepted_at_ms > 0) {
    // First response time, exact, sorted: "rt/<merchant>\0<ms BE>\0<case>".
    const std::string ms = EncodeU64(static_cast<uint64_t>(std::max<TimeMs>(0, at - after.accepted_at_ms)));
    index_["rt/" + after.merchant_id + std::string(1, '\0') + ms + std::string(1, '\0') + after.case_id] = std::string();
    index_["rt*/" + ms + std::string(1, '\0') + after.case_id] = std::string();
  }
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
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  return store_.Get(Cf::kIndex, key);
}

Result<std::optional<std::string>> Projector::CommandResult(const std::string& id) {
  auto it = command_results_.find(id);
  if (it != command_results_.end()) return std::optional<std::string>(it->second);
  return store_.Get(Cf::kCommands, id);
}

void Projector::DiffTimers(const std::vector<Timer>& before, const std::vector<Timer>& after,
                           std::vector<Timer>* new_timers) {
  std::set<std::string> before_keys, after_keys;
  for (const auto& t : before) before_keys.insert(t.Key());
  for (const auto& t : after) after_keys.insert(t.Key());
  for (const auto& k : before_keys) {
    if (!after_keys.count(k)) timers_[k] = false;
  }
  for (const auto& t : after) {
    std::string k = t.Key();
    if (before_keys.count(k)) continue;
    timers_[std::move(k)] = true;
    if (new_timers) new_timers->push_back(t);
  }
}

Status Projector::Stage(std::string_view record, std::vector<Timer>* new_timers) {
  LEDGER_ASSIGN_OR_RETURN(const fb::Event* e, DecodeEvent(record));
  const std::string merchant_id = e->partition_key() ? e->partition_key()->str() : "";
  const std::string case_id(CaseIdOf(*e));

  LEDGER_ASSIGN_OR_RETURN(MerchantState * m, LoadMerchant(merchant_id));
  if (m == nullptr && e->payload_type() != fb::Payload::MerchantRegistered) {
    return Status::Corruption(fmt::format("event {} names merchant {} that was never registered",
                                          e->event_id() ? e->event_id()->str() : "?", merchant_id));
  }
  std::unique_ptr<CaseState> before;
  CaseState* c = nullptr;
  if (!case_id.empty()) {
    LEDGER_ASSIGN_OR_RETURN(c, LoadCase(case_id));
    if (c == nullptr && e->payload_type() == fb::Payload::ComplaintFiled) {
      cases_[case_id] = std::make_unique<CaseState>();
      c = cases_[case_id].get();
    }
    if (c == nullptr) {
      return Status::Corruption(fmt::format("event {} names case {} that was never filed",
                                            e->event_id() ? e->event_id()->str() : "?", case_id));
    }
    before.reset(new CaseState(*c));
    EvolveCase(*c, *e);
    DiffTimers(TimersOf(*before), TimersOf(*c), new_timers);
    IndexCase(*before, *c, e->occurred_at_ms());
    dirty_cases_.insert(case_id);
    if (e->payload_type() == fb::Payload::ComplaintFiled && c->transaction) {
      index_[TransactionKey(merchant_id, *c->transaction)] = case_id;
    }
    if (e->payload_type() == fb::Payload::ComplaintFiled && !c->tracking_code.empty()) {
      index_[TrackingKey(c->tracking_code)] = case_id;
    }
    if (e->payload_type() == fb::Payload::TransactionRejected && c->transaction) {
      index_[TransactionKey(merchant_id, *c->transaction)] = std::nullopt;
    }
  }
  if (m == nullptr) {
    merchants_[merchant_id] = std::make_unique<MerchantState>();
    m = merchants_[merchant_id].get();
  }
  // A merchant's timers change only with its delays (one added or removed per
  // event) or its suspension; skip listing them (O(delays)) otherwise.
  auto timer_inputs = [](const MerchantState& ms) {
    return std::make_tuple(ms.active_delays.size(), ms.status, ms.owing == 0, ms.reinstatement_due_at_ms);
  };
  const auto inputs_before = timer_inputs(*m);
  std::vector<Timer> m_before;
  const bool may_change = e->payload_type() == fb::Payload::ResponseDeadlineMissed ||
                          e->payload_type() == fb::Payload::DelayDecayed || before != nullptr ||
                          e->payload_type() == fb::Payload::MerchantSuspended ||
                          e->payload_type() == fb::Payload::MerchantReinstated ||
                          e->payload_type() == fb::Payload::MerchantResponded;
  if (may_change) m_before = TimersOf(*m);
  const auto counts_before = std::make_tuple(m->complaints, m->delays_total, m->resolved);
  EvolveMerchant(*m, *e, before.get(), c);
  CountMonthly(*m, counts_before, e->occurred_at_ms());
  if (may_change && timer_inputs(*m) != inputs_before) DiffTimers(m_before, TimersOf(*m), new_timers);
  dirty_merchants_.insert(merchant_id);

  StagedEvent s;
  s.case_id = case_id;
  s.merchant_id = merchant_id;
  s.command_id = e->command_id() ? e->command_id()->str() : "";
  if (e->command_digest()) {
    s.command_digest.assign(reinterpret_cast<const char*>(e->command_digest()->data()),
                            e->command_digest()->size());
  }
  s.type = std::string(PayloadName(*e));
  if (!s.command_id.empty() && !command_results_.count(s.command_id)) {
    nlohmann::json j{{"command_id", s.command_id},
                     {"digest", HexOf(reinterpret_cast<const uint8_t*>(s.command_digest.data()),
                                      s.command_digest.size())}};
    command_results_[s.command_id] = j.dump();
  }
  s.at = e->occurred_at_ms();
  s.policy_version = e->policy_version() ? e->policy_version()->str() : "";
  s.schema_version = e->schema_version();
  staged_.push_back(std::move(s));
  return Status::Ok();
}

Result<Position> Projector::StageFromLog(const LogRecord& r, Hash32& head, const std::string& log_name) {
  LEDGER_ASSIGN_OR_RETURN(const fb::Event* e, DecodeEvent(r.bytes, r.partition, r.offset));
  if (!std::equal(head.begin(), head.end(), e->prev_hash()->begin())) {
    return Status::Corruption(fmt::format(
        "{}: partition {} offset {}: hash chain broken (prev_hash does not match the record before it)",
        log_name, r.partition, r.offset));
  }
  Status s = Stage(r.bytes);
  if (!s.ok()) return Status::Corruption(fmt::format("partition {} offset {}: {}", r.partition, r.offset, s.message()));
  head = HashRecord(r.bytes);
  return Position{r.partition, r.offset, head};
}

Status Projector::Commit(const std::vector<Position>& positions) {
  if (positions.size() != staged_.size()) {
    return Status::InvalidArgument(fmt::format("commit: {} positions for {} staged events",
                                               positions.size(), staged_.size()));
  }
  rocksdb::WriteBatch batch;
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
  for (const auto& [key, put] : timers_) {
    if (put) {
      batch.Put(store_.handle(Cf::kTimers), key, "");
    } else {
      batch.Delete(store_.handle(Cf::kTimers), key);
    }
  }
  for (const auto& [key, owner] : index_) {
    if (owner) {
      batch.Put(store_.handle(Cf::kIndex), key, *owner);
    } else {
      batch.Delete(store_.handle(Cf::kIndex), key);
    }
  }
  // Command results, event index, analytics, and progress per partition.
  std::map<std::string, nlohmann::json> results;
  std::map<PartitionId, const Position*> last;
  TimeMs max_time = 0;
  for (size_t i = 0; i < staged_.size(); ++i) {
    const StagedEvent& s = staged_[i];
    const Position& pos = positions[i];
    if (!s.case_id.empty()) {
      batch.Put(store_.handle(Cf::kIndex),
                "ev/" + s.case_id + std::string(1, '\0') + EncodeU64(pos.partition) + EncodeU64(pos.offset), "");
    }
    batch.Put(store_.handle(Cf::kIndex),
              "mev/" + s.merchant_id + std::string(1, '\0') + EncodeU64(pos.partition) + EncodeU64(pos.offset), "");
    if (!s.command_id.empty()) {
      auto it = results.find(s.command_id);
      if (it == results.end()) {
        // A command's events may span two commits (replay batches): extend what is stored.
        LEDGER_ASSIGN_OR_RETURN(auto prior, store_.Get(Cf::kCommands, s.command_id));
        nlohmann::json j = prior ? nlohmann::json::parse(*prior, nullptr, false) : nlohmann::json::object();
        if (!j.is_object()) j = nlohmann::json::object();
        if (!j.contains("events")) {
          j["command_id"] = s.command_id;
          j["digest"] = HexOf(reinterpret_cast<const uint8_t*>(s.command_digest.data()), s.command_digest.size());
          j["events"] = nlohmann::json::array();
        }
        it = results.emplace(s.command_id, std::move(j)).first;
      }
      if (!s.case_id.empty() && !it->second.contains("case_id")) it->second["case_id"] = s.case_id;
      it->second["events"].push_back({{"type", s.type}, {"partition", pos.partition}, {"offset", pos.offset}});
    }
    last[pos.partition] = &pos;
    max_time = std::max(max_time, s.at);
  }
  for (const auto& [id, j] : results) batch.Put(store_.handle(Cf::kCommands), id, j.dump());
  for (const auto& [key, delta] : counters_) {
    LEDGER_ASSIGN_OR_RETURN(auto prior, store_.Get(Cf::kAnalytics, key));
    const int64_t value = (prior ? static_cast<int64_t>(DecodeU64(*prior)) : 0) + delta;
    batch.Put(store_.handle(Cf::kAnalytics), key, EncodeU64(static_cast<uint64_t>(value)));
  }
  for (const auto& [p, pos] : last) {
    batch.Put(store_.handle(Cf::kMeta), ViewStore::OffsetKey(p), EncodeU64(pos->offset + 1));
    batch.Put(store_.handle(Cf::kMeta), ViewStore::HeadKey(p),
              std::string(reinterpret_cast<const char*>(pos->hash.data()), pos->hash.size()));
  }
  if (!staged_.empty()) {
    batch.Put(store_.handle(Cf::kMeta), "policy_version", staged_.back().policy_version);
    batch.Put(store_.handle(Cf::kMeta), "schema_version", std::to_string(staged_.back().schema_version));
  }
  if (max_time > 0) {
    LEDGER_ASSIGN_OR_RETURN(auto prior, store_.Get(Cf::kMeta, "max_time"));
    const TimeMs prev = prior ? static_cast<TimeMs>(DecodeU64(*prior)) : 0;
    if (max_time > prev) batch.Put(store_.handle(Cf::kMeta), "max_time", EncodeU64(max_time));
  }
  Status s = store_.Write(batch);
  Discard();
  if (!s.ok()) indicators_.clear();
  return s;
}

void Projector::Discard() {
  cases_.clear();
  merchants_.clear();
  dirty_cases_.clear();
  dirty_merchants_.clear();
  timers_.clear();
  index_.clear();
  command_results_.clear();
  counters_.clear();
  staged_.clear();
}

}  // namespace ledger
