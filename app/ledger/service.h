// Layer app/ledger, the base of app/ (the composition root, the only place
// that composes the layers below into a running ledger). app/ledger owns the
// write path, the keys of personal data and the policy files; app/import,
// app/workload, app/http and app/cli are built on it. Nothing below app/
// may include it; it must never hold a rule of its own (rules live in
// engine/, folds in projections/).
//
// The command service and the timekeeper. It owns the write path:
//   clock -> timekeeper fires due timers -> decide each command against the
//   projected state -> append the events durably -> project them (one batch).
// Only this class and the timekeeper inside it read the Clock.
//
// One Ledger per data directory and process; calls are serialized inside.
// Concurrent Submit calls are group-committed: callers queue, the caller at
// the head of the queue decides everything waiting in arrival order and
// appends all of it in one durable write, then wakes each caller with its
// own outcomes (docs/decisions.md, "group commit").
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/ledger/command_codec.h"
#include "app/ledger/key_store.h"
#include "engine/decide.h"
#include "engine/personal_data.h"
#include "engine/policy.h"
#include "events/event_log.h"
#include "events/indicator_sink.h"
#include "projections/apply.h"
#include "projections/projector.h"
#include "projections/store.h"

namespace ledger {

// What happened to one command.
struct Outcome {
  Status status;
  nlohmann::json result;  // command_id, case_id, merchant_id, events[]; "replayed": true on a retry
};

struct LedgerOptions {
  std::string data_dir = "./ledger-data";
  // A profile name or a policy file. Empty: the one the ledger was created
  // with (enamad for a new ledger).
  std::string policy;
  uint32_t partitions = 6;  // for a new log
  // "" (embedded, under data_dir) or "kafka://HOST:PORT[/TOPIC]". The views
  // and the policy stay under data_dir either way.
  std::string log_uri;
};

class Ledger {
 public:
  // Opens (or creates) the ledger in options.data_dir on the log it names,
  // and brings the views up to the log.
  static Result<std::unique_ptr<Ledger>> Open(const LedgerOptions& options, const Clock& clock);
  // Same over a given log with views in `views_dir`, publishing indicators
  // to `sink` if given.
  static Result<std::unique_ptr<Ledger>> Open(std::unique_ptr<EventLog> log,
                                              const std::string& views_dir, Policy policy,
                                              const Clock& clock,
                                              std::unique_ptr<IndicatorSink> sink = nullptr);

  // Applies commands in order. Each gets its own outcome; accepted ones are
  // durable (synced) before this returns. A command whose id was seen before
  // returns the first result and appends nothing.
  //
  // Thread-safe. Calls made at the same time form one group: the commands of
  // every call waiting are decided in arrival order (each against the state
  // left by the ones before it, so a retry or an illegal step inside a group
  // behaves as in a serial run) and appended in one durable write. If that
  // write or anything before it fails, every command of the group gets the
  // error, nothing of the group stays in memory, and a retry with the same
  // command ids is safe (it replays whatever did land).
  std::vector<Outcome> Submit(const std::vector<ParsedCommand>& commands);
  Outcome SubmitOne(const ParsedCommand& command);
  // Parses and submits one JSON envelope.
  Outcome SubmitJson(std::string_view json);

  // Fires every timer due at or before `until` (the clock's now by default),
  // in due order. Returns the number of events it appended.
  Result<size_t> Tick(TimeMs until);
  Result<size_t> Tick();

  // Applies log records the views have not seen yet (after a crash, or
  // records written by another process). Returns how many.
  Result<uint64_t> CatchUp();

  Result<std::unique_ptr<CaseState>> GetCase(const std::string& case_id);
  Result<std::unique_ptr<MerchantState>> GetMerchant(const std::string& merchant_id);
  // Whether a command with this id was applied (its retry would replay).
  Result<bool> KnowsCommand(const std::string& command_id);
  // The latest occurred_at in the log (0 for an empty ledger).
  Result<TimeMs> LedgerTime();

  EventLog& log() { return *log_; }
  ViewStore& views() { return *views_; }
  const Policy& policy() const { return policy_; }
  const CommandCodec& codec() const { return codec_; }
  const Clock& clock() const { return clock_; }
  // Consumers' keys for personal data (engine/personal_data.h): DATA/keys
  // for a ledger opened from options, none otherwise until set. Without one,
  // filings with a name or phone are refused.
  void SetKeyStore(std::unique_ptr<KeyStore> keys);
  const KeyStore* keys() const { return keys_.get(); }

  // Downstream: after each commit the changed merchants' indicators go to
  // `sink` (on Kafka: the compacted topic). If publishing fails, they are
  // kept and sent with the next commit (see indicator_backlog()).
  void SetIndicatorSink(std::unique_ptr<IndicatorSink> sink);
  size_t indicator_backlog() const { return unpublished_.size(); }
  const Status& last_publish_status() const { return publish_status_; }

 private:
  Ledger(std::unique_ptr<EventLog> log, std::unique_ptr<ViewStore> views, Policy policy,
         const Clock& clock);
  // One caller of Submit waiting in the queue.
  struct Waiter {
    const std::vector<ParsedCommand>* commands = nullptr;
    std::vector<Outcome> outcomes;
    bool done = false;
    std::condition_variable cv;
  };
  // Decides, appends and projects one group. Takes mu_.
  std::vector<Outcome> CommitGroup(const std::vector<const ParsedCommand*>& commands);
  // The error outcome of a command that was not applied.
  static Outcome Failed(const Status& s, const nlohmann::json& result = nlohmann::json::object());
  Result<size_t> TickLocked(TimeMs until);
  Result<size_t> TickAt(std::optional<TimeMs> until);
  Status StageDrafts(std::vector<Draft>& drafts, const std::string& merchant_id,
                     const std::string& case_id, const std::string& command_id,
                     const std::string& causation, const fb::ActorT& actor,
                     const std::string& digest, TimeMs at, std::vector<PendingRecord>& out,
                     std::vector<Timer>* new_timers);
  Outcome DecideOne(const ParsedCommand& cmd, TimeMs now, std::vector<PendingRecord>& records);
  Result<std::vector<Position>> AppendAndCommit(std::vector<PendingRecord> records);
  void PublishIndicators();

  // A group takes at most this many commands (a call larger than this is
  // still one group); bounds the latency a group adds to the next one.
  static constexpr size_t kMaxGroup = 4096;
  std::mutex queue_mu_;        // guards queue_ and the Waiters in it
  std::deque<Waiter*> queue_;  // the front one commits; the others wait

  std::mutex mu_;  // guards everything below
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<ViewStore> views_;
  Policy policy_;
  const Clock& clock_;
  CommandCodec codec_;
  Projector projector_;
  // Set when an append failed (its outcome may be unknown on Kafka) or the
  // views failed to follow: the next call first brings the views up to the log.
  bool stale_ = false;
  TimeMs tick_floor_ = 0;  // all timers due before this were handled
  Status RefreshIfStale();
  std::unique_ptr<IndicatorSink> sink_;
  std::unique_ptr<KeyStore> keys_;
  std::map<std::string, std::string> unpublished_;
  Status publish_status_;
};

}  // namespace ledger
