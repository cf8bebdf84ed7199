#include "app/ledger/service.h"

#include "common/data_dir.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <queue>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <sodium.h>

#include "app/ledger/key_store.h"
#include "app/ledger/policy_file.h"
#include "engine/event_subject.h"
#include "engine/personal_data.h"
#include "events/codec.h"
#include "events/open_log.h"
#include "projections/keys.h"
#include "projections/views.h"

namespace ledger {

namespace fs = std::filesystem;

namespace {

// The policy a ledger runs under is kept beside its data, so reopening it
// without naming one keeps the rules it was created with.
Result<Policy> ResolvePolicy(const LedgerOptions& o) {
  const fs::path stored = DataDir(o.data_dir).Policy();
  if (o.policy.empty() && fs::exists(stored)) return LoadPolicy(stored.string());
  const std::string name = o.policy.empty() ? "enamad" : o.policy;
  LEDGER_ASSIGN_OR_RETURN(Policy p, LoadPolicy(name));
  // Keep the document itself, so a later run needs neither the name nor the file.
  LEDGER_ASSIGN_OR_RETURN(std::string text, PolicyDocument(name));
  std::ofstream out(stored, std::ios::trunc);
  out << text;
  if (!out) return Status::IoError(fmt::format("cannot write {}", stored.string()));
  return p;
}

std::string NewCommandId() {
  uint8_t b[12];
  randombytes_buf(b, sizeof b);
  return "cmd-" + HexOf(b, sizeof b);
}

// A case id that a retry of the same command finds again.
std::string CaseIdFor(const std::string& command_id) {
  uint8_t h[8];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(command_id.data()),
                     command_id.size(), nullptr, 0);
  return "C-" + HexOf(h, sizeof h).substr(0, 12);
}

std::string TimerCause(const Timer& t) {
  return fmt::format("timer/{}/{}/{}/{}/{}", static_cast<int>(t.kind), t.due, t.merchant_id,
                     t.case_id, t.window);
}

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::Open(const LedgerOptions& options, const Clock& clock) {
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec)
    return Status::IoError(fmt::format("cannot create {}: {}", options.data_dir, ec.message()));
  LEDGER_ASSIGN_OR_RETURN(Policy policy, ResolvePolicy(options));
  const LogLocation where{options.log_uri, options.data_dir, options.partitions};
  LEDGER_ASSIGN_OR_RETURN(auto log, OpenEventLog(where));
  std::unique_ptr<IndicatorSink> sink;
  if (!options.log_uri.empty() && options.log_uri != "embedded") {
    LEDGER_ASSIGN_OR_RETURN(KafkaLocation k, ParseKafkaUri(options.log_uri));
    LEDGER_ASSIGN_OR_RETURN(
        sink, KafkaIndicatorSink::Open(k.bootstrap, IndicatorTopicFor(k.topic), log->partitions()));
  }
  LEDGER_ASSIGN_OR_RETURN(auto keys, KeyStore::Open(DataDir(options.data_dir).Keys()));
  LEDGER_ASSIGN_OR_RETURN(auto ledger, Open(std::move(log), ViewsDirFor(where), std::move(policy),
                                            clock, std::move(sink)));
  ledger->SetKeyStore(std::move(keys));
  return ledger;
}

void Ledger::SetKeyStore(std::unique_ptr<KeyStore> keys) {
  std::lock_guard<std::mutex> lock(mu_);
  keys_ = std::move(keys);
}

Result<std::unique_ptr<Ledger>> Ledger::Open(std::unique_ptr<EventLog> log,
                                             const std::string& views_dir, Policy policy,
                                             const Clock& clock,
                                             std::unique_ptr<IndicatorSink> sink) {
  LEDGER_ASSIGN_OR_RETURN(auto views, ViewStore::Open(views_dir));
  std::unique_ptr<Ledger> l(new Ledger(std::move(log), std::move(views), std::move(policy), clock));
  if (sink) l->SetIndicatorSink(std::move(sink));
  LEDGER_RETURN_IF_ERROR(l->CatchUp().status());
  return l;
}

Ledger::Ledger(std::unique_ptr<EventLog> log, std::unique_ptr<ViewStore> views, Policy policy,
               const Clock& clock)
    : log_(std::move(log)),
      views_(std::move(views)),
      policy_(std::move(policy)),
      clock_(clock),
      projector_(*views_) {}

Result<uint64_t> Ledger::CatchUp() {
  std::lock_guard<std::mutex> lock(mu_);
  stale_ = false;
  projector_.Discard();
  ApplyOptions options;
  options.indicators = sink_ ? Indicators::kCollect : Indicators::kSkip;
  LEDGER_ASSIGN_OR_RETURN(auto report, ApplyLog(*log_, *views_, options));
  for (auto& [k, v] : report.indicators) unpublished_[k] = std::move(v);
  PublishIndicators();
  return report.applied;
}

// After a failed append, whose records may still be committed (Kafka:
// outcome unknown): the views follow the log once its transactions have
// ended, so that a retry of the same command finds its events.
Status Ledger::RefreshIfStale() {
  if (!stale_) return Status::Ok();
  projector_.Discard();
  ApplyOptions options;
  options.indicators = sink_ ? Indicators::kCollect : Indicators::kSkip;
  options.settle = Settle::kAfterOpenTransactions;
  LEDGER_ASSIGN_OR_RETURN(auto report, ApplyLog(*log_, *views_, options));
  for (auto& [k, v] : report.indicators) unpublished_[k] = std::move(v);
  stale_ = false;
  return Status::Ok();
}

void Ledger::SetIndicatorSink(std::unique_ptr<IndicatorSink> sink) {
  std::lock_guard<std::mutex> lock(mu_);
  sink_ = std::move(sink);
  projector_.set_collect_indicators(sink_ != nullptr);
}

void Ledger::PublishIndicators() {
  for (auto& [k, v] : projector_.TakeIndicators()) unpublished_[k] = std::move(v);
  if (!sink_ || unpublished_.empty()) return;
  publish_status_ = sink_->Publish(unpublished_);
  if (publish_status_.ok()) unpublished_.clear();
}

Result<TimeMs> Ledger::LedgerTime() {
  LEDGER_ASSIGN_OR_RETURN(auto v, views_->Get(Cf::kMeta, keys::kMaxTime));
  return v ? static_cast<TimeMs>(DecodeU64(*v)) : TimeMs{0};
}

Status Ledger::StageDrafts(std::vector<Draft>& drafts, const std::string& merchant_id,
                           const std::string& case_id, const std::string& command_id,
                           const std::string& causation, const fb::ActorT& actor,
                           const std::string& digest, TimeMs at, std::vector<PendingRecord>& out,
                           std::vector<Timer>* new_timers) {
  for (size_t i = 0; i < drafts.size(); ++i) {
    fb::EventT e;
    e.event_id = EventIdFor(command_id.empty() ? causation : command_id, i);
    e.partition_key = merchant_id;
    if (drafts[i].merchant_stream) {
      LEDGER_ASSIGN_OR_RETURN(const MerchantState* m, projector_.Merchant(merchant_id));
      e.stream_id = MerchantStream(merchant_id);
      e.stream_version = (m ? m->version : 0) + 1;
    } else {
      LEDGER_ASSIGN_OR_RETURN(const CaseState* c, projector_.Case(case_id));
      e.stream_id = CaseStream(case_id);
      e.stream_version = (c ? c->version : 0) + 1;
    }
    e.occurred_at_ms = at;
    e.command_id = command_id;
    e.causation_id = causation;
    e.correlation_id = case_id.empty() ? merchant_id : case_id;
    e.actor = std::make_unique<fb::ActorT>(actor);
    e.policy_version = policy_.version;
    e.schema_version = kSchemaVersion;
    e.prev_hash.assign(32, 0);
    e.command_digest.assign(digest.begin(), digest.end());
    e.payload = std::move(drafts[i].payload);
    std::string bytes = EncodeEvent(e);
    LEDGER_RETURN_IF_ERROR(projector_.Stage(bytes, new_timers));
    out.push_back({merchant_id, std::move(bytes)});
  }
  return Status::Ok();
}

Outcome Ledger::DecideOne(const ParsedCommand& parsed, TimeMs now,
                          std::vector<PendingRecord>& records) {
  const fb::CommandEnvelope& cmd = *parsed.envelope();
  Outcome out;
  const std::string command_id = cmd.id() && cmd.id()->size() ? cmd.id()->str() : NewCommandId();
  out.result["command_id"] = command_id;
  out.result["command"] = CommandName(cmd.command_type());

  auto fail = [&](Status s) {
    out.status = std::move(s);
    out.result["error"] = out.status.message();
    out.result["code"] = CodeName(out.status.code());
    return out;
  };
  auto prior = projector_.CommandResult(command_id);
  if (!prior.ok()) return fail(prior.status());
  if (prior.value()) {
    auto j = nlohmann::json::parse(**prior, nullptr, false);
    const std::string digest =
        HexOf(reinterpret_cast<const uint8_t*>(parsed.digest.data()), parsed.digest.size());
    if (!j.is_object() || j.value("digest", "") != digest) {
      return fail(Status::Conflict(
          fmt::format("command id {} was already used for a different command", command_id)));
    }
    out.result = j;
    out.result["replayed"] = true;
    return out;
  }

  std::string case_id = CommandCaseId(cmd);
  std::string merchant_id = CommandMerchantId(cmd);
  if (cmd.command_type() == fb::Command::FileComplaint && case_id.empty())
    case_id = CaseIdFor(command_id);
  DecideContext ctx(policy_, now);
  if (!case_id.empty()) {
    auto c = projector_.Case(case_id);
    if (!c.ok()) return fail(c.status());
    ctx.case_state = c.value();
    if (ctx.case_state && cmd.command_type() != fb::Command::FileComplaint) {
      if (!merchant_id.empty() && merchant_id != ctx.case_state->merchant_id) {
        return fail(Status::InvalidArgument(
            fmt::format("case {} is not a case against merchant {}", case_id, merchant_id)));
      }
      merchant_id = ctx.case_state->merchant_id;
    }
  }
  if (!merchant_id.empty()) {
    auto m = projector_.Merchant(merchant_id);
    if (!m.ok()) return fail(m.status());
    ctx.merchant = m.value();
  }
  if (cmd.command_type() == fb::Command::FileComplaint && ctx.merchant) {
    const auto* f = cmd.command_as_FileComplaint();
    auto date = ParseTime(f->purchase_date()->string_view());
    if (date.ok() && f->amount().has_value()) {
      fb::TransactionT t;
      t.reference_number = f->reference_number()->str();
      t.terminal = f->terminal()->str();
      t.purchase_date_ms = *date;
      t.amount = *f->amount();
      auto owner = projector_.TransactionOwner(keys::Transaction(merchant_id, t));
      if (!owner.ok()) return fail(owner.status());
      if (owner.value()) {
        ctx.transaction_taken = true;
        ctx.taken_by = **owner;
      }
    }
  }
  auto drafts = Decide(cmd, case_id, ctx);
  if (!drafts.ok()) return fail(drafts.status());
  // Before anything is appended: the key is durable first (personal_data.h).
  if (Status sealed = SealPersonalData(cmd, drafts.value(), keys_.get()); !sealed.ok())
    return fail(sealed);
  std::unique_ptr<fb::ActorT> actor(cmd.actor()->UnPack());
  const size_t first = records.size();
  Status s = StageDrafts(drafts.value(), merchant_id, case_id, command_id, command_id, *actor,
                         parsed.digest, now, records, nullptr);
  if (!s.ok()) return fail(s);
  out.result["merchant_id"] = merchant_id;
  if (!case_id.empty()) out.result["case_id"] = case_id;
  out.result["events"] = nlohmann::json::array();
  for (size_t i = first; i < records.size(); ++i) {
    auto e = DecodeEvent(records[i].bytes);
    out.result["events"].push_back({{"type", PayloadName(*e.value())}});
  }
  return out;
}

Result<std::vector<Position>> Ledger::AppendAndCommit(std::vector<PendingRecord> records) {
  if (records.empty()) return std::vector<Position>{};
  auto positions = log_->Append(std::move(records));
  if (!positions.ok()) {
    projector_.Discard();
    stale_ = true;  // a failed append may still have landed (Kafka: outcome unknown)
    return positions.status();
  }
  // The events are durable; if the views fail to follow, the next CatchUp
  // brings them up from the log.
  Status s = projector_.Commit(positions.value());
  if (!s.ok()) {
    projector_.Discard();
    stale_ = true;
    return Status::IoError(fmt::format(
        "events appended but views not updated ({}); they catch up from the log", s.message()));
  }
  PublishIndicators();
  return positions;
}

Outcome Ledger::Failed(const Status& s, const nlohmann::json& result) {
  Outcome o;
  o.status = s;
  o.result = nlohmann::json::object();
  // Keep what names the command; drop what it would have done.
  for (const char* key : {"command_id", "command"}) {
    if (result.is_object() && result.contains(key)) o.result[key] = result[key];
  }
  o.result["error"] = s.message();
  o.result["code"] = CodeName(s.code());
  return o;
}

std::vector<Outcome> Ledger::Submit(const std::vector<ParsedCommand>& commands) {
  // An empty call still fires the timers due by now (callers rely on it).
  Waiter me;
  me.commands = &commands;
  std::unique_lock<std::mutex> lock(queue_mu_);
  queue_.push_back(&me);
  me.cv.wait(lock, [&] { return me.done || queue_.front() == &me; });
  if (me.done) return std::move(me.outcomes);

  // At the head of the queue: commit everything waiting, in arrival order.
  // The group stays queued until it is done, so later callers wait behind it.
  std::vector<Waiter*> group;
  size_t n = 0;
  for (Waiter* w : queue_) {
    if (!group.empty() && n + w->commands->size() > kMaxGroup) break;
    group.push_back(w);
    n += w->commands->size();
  }
  lock.unlock();
  std::vector<const ParsedCommand*> flat;
  flat.reserve(n);
  for (Waiter* w : group) {
    for (const auto& c : *w->commands) flat.push_back(&c);
  }
  std::vector<Outcome> outcomes;
  try {
    outcomes = CommitGroup(flat);
  } catch (const std::exception& e) {
    // Nothing may leave the committer by exception: the waiting callers get
    // the error, and the views are rebuilt from the log before the next group.
    const Status s = Status::IoError(fmt::format("internal error: {}", e.what()));
    {
      std::lock_guard<std::mutex> l(mu_);
      projector_.Discard();
      stale_ = true;
    }
    outcomes.assign(flat.size(), Failed(s));
  }
  lock.lock();
  size_t next = 0;
  for (Waiter* w : group) {
    w->outcomes.assign(std::make_move_iterator(outcomes.begin() + static_cast<ptrdiff_t>(next)),
                       std::make_move_iterator(outcomes.begin() +
                                               static_cast<ptrdiff_t>(next + w->commands->size())));
    next += w->commands->size();
    queue_.pop_front();
    if (w != &me) {
      w->done = true;
      w->cv.notify_one();
    }
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return std::move(me.outcomes);
}

std::vector<Outcome> Ledger::CommitGroup(const std::vector<const ParsedCommand*>& commands) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Outcome> outcomes(commands.size());
  const TimeMs now = clock_.Now();
  // Every command of the group shares its fate: outcomes decided against
  // state that was never written are not outcomes.
  auto fail_all = [&](const Status& s) {
    for (auto& o : outcomes) o = Failed(s, o.result);
    return outcomes;
  };
  // After a failed append, what landed in the log must be in the views before
  // deciding again, so a retried command finds its first result.
  Status fresh = RefreshIfStale();
  if (!fresh.ok()) return fail_all(fresh);
  auto ledger_time = LedgerTime();
  if (!ledger_time.ok()) return fail_all(ledger_time.status());
  if (now < ledger_time.value()) {
    return fail_all(
        Status::Conflict(fmt::format("the clock reads {}, before the ledger's latest event at {}: "
                                     "refusing to write events out of order",
                                     FormatTime(now), FormatTime(ledger_time.value()))));
  }
  auto ticked = TickLocked(now);
  if (!ticked.ok()) return fail_all(ticked.status());

  std::vector<PendingRecord> records;
  std::vector<std::pair<size_t, size_t>> spans(commands.size());  // record range per command
  for (size_t i = 0; i < commands.size(); ++i) {
    const size_t before = records.size();
    outcomes[i] = DecideOne(*commands[i], now, records);
    spans[i] = {before, records.size()};
    if (!outcomes[i].status.ok() && records.size() != before) {
      // Staging failed part-way through the command's events (a read of
      // the views failed): drop the whole group rather than append half.
      projector_.Discard();
      return fail_all(outcomes[i].status);
    }
  }
  auto positions = AppendAndCommit(std::move(records));
  if (!positions.ok()) return fail_all(positions.status());
  std::map<std::string, size_t> applied;  // command id -> the outcome that applied it here
  for (size_t i = 0; i < commands.size(); ++i) {
    if (!outcomes[i].status.ok()) continue;
    if (outcomes[i].result.value("replayed", false)) {
      // A retry of a command applied earlier in this group found only what
      // was staged: answer with that command's full result.
      auto first = applied.find(outcomes[i].result.value("command_id", ""));
      if (first != applied.end()) {
        outcomes[i].result = outcomes[first->second].result;
        outcomes[i].result["replayed"] = true;
      }
      continue;
    }
    auto& events = outcomes[i].result["events"];
    for (size_t k = spans[i].first; k < spans[i].second; ++k) {
      events[k - spans[i].first]["partition"] = positions.value()[k].partition;
      events[k - spans[i].first]["offset"] = positions.value()[k].offset;
    }
    applied.emplace(outcomes[i].result.value("command_id", ""), i);
  }
  return outcomes;
}

Result<bool> Ledger::KnowsCommand(const std::string& command_id) {
  std::lock_guard<std::mutex> lock(mu_);
  LEDGER_RETURN_IF_ERROR(RefreshIfStale());
  LEDGER_ASSIGN_OR_RETURN(auto prior, projector_.CommandResult(command_id));
  return prior.has_value();
}

Outcome Ledger::SubmitOne(const ParsedCommand& command) { return Submit({command})[0]; }

Outcome Ledger::SubmitJson(std::string_view json) {
  auto parsed = codec_.ParseEnvelope(json);
  if (!parsed.ok()) {
    Outcome o;
    o.status = parsed.status();
    o.result = {{"error", o.status.message()}, {"code", CodeName(o.status.code())}};
    return o;
  }
  return SubmitOne(parsed.value());
}

// The clock is read once the lock is held: a commit that held it for long
// (a broker outage) has stamped its events after any earlier reading.
Result<size_t> Ledger::Tick() { return TickAt(std::nullopt); }

Result<size_t> Ledger::Tick(TimeMs until) { return TickAt(until); }

Result<size_t> Ledger::TickAt(std::optional<TimeMs> at) {
  std::lock_guard<std::mutex> lock(mu_);
  LEDGER_RETURN_IF_ERROR(RefreshIfStale());
  const TimeMs until = at ? *at : clock_.Now();
  LEDGER_ASSIGN_OR_RETURN(TimeMs ledger_time, LedgerTime());
  if (until < ledger_time) {
    return Status::Conflict(
        fmt::format("cannot tick until {}: the ledger already holds events at {}",
                    FormatTime(until), FormatTime(ledger_time)));
  }
  return TickLocked(until);
}

Result<size_t> Ledger::TickLocked(TimeMs until) {
  constexpr size_t kScan = 4096;
  const fb::ActorT system_actor = [] {
    fb::ActorT a;
    a.role = fb::Role::system;
    a.id = "timekeeper";
    return a;
  }();
  size_t appended = 0;
  auto later = [](const Timer& a, const Timer& b) { return keys::TimerKey(a) > keys::TimerKey(b); };
  for (;;) {
    // Every timer due before the last tick's end has fired or lapsed, and no
    // new timer is ever due before the event that sets it: start there, past
    // the deleted timers.
    LEDGER_ASSIGN_OR_RETURN(auto keys,
                            views_->KeysBetween(Cf::kTimers, keys::TimersFrom(tick_floor_),
                                                keys::TimersFrom(until + 1), kScan));
    if (keys.empty()) break;
    std::priority_queue<Timer, std::vector<Timer>, decltype(later)> heap(later);
    for (const auto& k : keys) {
      auto t = keys::ParseTimer(k);
      if (!t) return Status::Corruption("views: unreadable timer key");
      heap.push(*t);
    }
    // A full scan may have left out timers due before ones created in this
    // round; stop the round at the last scanned due time to keep order.
    const TimeMs horizon = keys.size() == kScan ? keys::ParseTimer(keys.back())->due : until;
    std::vector<PendingRecord> records;
    std::set<std::string> fired;
    while (!heap.empty() && heap.top().due <= horizon) {
      Timer t = heap.top();
      heap.pop();
      if (!fired.insert(keys::TimerKey(t)).second) continue;
      const CaseState* c = nullptr;
      if (!t.case_id.empty() && t.kind != TimerKind::kDelayDecay) {
        LEDGER_ASSIGN_OR_RETURN(c, projector_.Case(t.case_id));
      }
      LEDGER_ASSIGN_OR_RETURN(const MerchantState* m, projector_.Merchant(t.merchant_id));
      if (!Implies(t, c, m)) continue;  // superseded earlier in this round
      DecideContext ctx(policy_, t.due);
      ctx.case_state = c;
      ctx.merchant = m;
      auto drafts = DecideTimer(t, ctx);
      std::vector<Timer> new_timers;
      LEDGER_RETURN_IF_ERROR(StageDrafts(
          drafts, t.merchant_id, t.kind == TimerKind::kDelayDecay ? std::string() : t.case_id, "",
          TimerCause(t), system_actor, "", t.due, records, &new_timers));
      for (auto& nt : new_timers) {
        if (nt.due <= horizon) heap.push(std::move(nt));
      }
    }
    appended += records.size();
    const bool progressed = !records.empty();
    LEDGER_RETURN_IF_ERROR(AppendAndCommit(std::move(records)).status());
    if (!progressed) {
      return Status::Corruption(
          "timekeeper: due timers produced no events (views out of step with the rules)");
    }
  }
  tick_floor_ = std::max(tick_floor_, until);
  return appended;
}

Result<std::unique_ptr<CaseState>> Ledger::GetCase(const std::string& case_id) {
  LEDGER_ASSIGN_OR_RETURN(auto raw, views_->Get(Cf::kCases, case_id));
  if (!raw) return Status::NotFound(fmt::format("case {} does not exist", case_id));
  return DecodeCaseState(*raw);
}

Result<std::unique_ptr<MerchantState>> Ledger::GetMerchant(const std::string& merchant_id) {
  LEDGER_ASSIGN_OR_RETURN(auto raw, views_->Get(Cf::kMerchants, merchant_id));
  if (!raw) return Status::NotFound(fmt::format("merchant {} is not registered", merchant_id));
  return DecodeMerchantState(*raw);
}

}  // namespace ledger
