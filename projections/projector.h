// Projector: folds events into the view store. Events are staged one by one
// (the states they produce are visible to lookups at once) and committed
// together with the new per-partition offsets and chain heads in a single
// WriteBatch, so after a crash the views resume exactly where they stopped.
//
// The command service stages the events it decides, appends them to the log,
// then commits with the positions the log gave; replay stages what it reads.
// Not thread-safe: one projector per writer.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/state.h"
#include "projections/store.h"

namespace ledger {

class Projector {
 public:
  explicit Projector(ViewStore& store);
  ~Projector();

  // The state after everything staged so far; nullptr when there is none.
  Result<const CaseState*> Case(const std::string& case_id);
  Result<const MerchantState*> Merchant(const std::string& merchant_id);
  // The case filed on a transaction, if any (the duplicate rule).
  Result<std::optional<std::string>> TransactionOwner(const std::string& tx_key);
  // The stored result of a command id (JSON), if it was applied.
  Result<std::optional<std::string>> CommandResult(const std::string& command_id);

  // Stages one verified event record. Timers the event made pending are
  // appended to `new_timers` when it is not null.
  Status Stage(std::string_view record, std::vector<Timer>* new_timers = nullptr);
  size_t staged() const { return staged_.size(); }
  // Stages a record read from `log_name` after checking that it decodes and
  // chains to `head` (the hash of its partition's previous record), which it
  // then advances. Returns the record's position for Commit.
  Result<Position> StageFromLog(const LogRecord& record, Hash32& head, const std::string& log_name);

  // Writes everything staged, with `positions[i]` the log position of the
  // i-th staged record. REQUIRES: positions.size() == staged().
  Status Commit(const std::vector<Position>& positions);
  // Forgets everything staged (the append failed) and every cached state.
  // The projector caches the states it loaded across commits; call this
  // whenever anything else may have written the store.
  void Discard();

  // When on, each Commit renders the public indicators of every merchant it
  // changed (MerchantJson as of the merchant's latest event), for downstream.
  void set_collect_indicators(bool on) { collect_indicators_ = on; }
  // The indicators collected since the last call: merchant id -> JSON.
  std::map<std::string, std::string> TakeIndicators() { return std::exchange(indicators_, {}); }

 private:
  struct StagedEvent {
    std::string case_id;
    std::string merchant_id;
    std::string command_id;
    std::string command_digest;
    std::string_view type;  // PayloadName: a static name
    TimeMs at = 0;
    bool opens_command = false;  // the first event of its command
    // The merchant's state after this event, every kSnapshotEvery events;
    // its recent events are filled in by Commit, which knows the positions.
    std::unique_ptr<MerchantState> snapshot;
  };
  struct CommandRecord {
    struct Event {
      std::string type;
      PartitionId partition = 0;
      Offset offset = 0;
    };
    std::string command_id, digest, case_id;
    std::vector<Event> events;
    std::string Render() const;
    static Result<CommandRecord> Parse(std::string_view text);
    // A command with no events yet; `raw_digest` as the envelope holds it.
    static CommandRecord Opened(std::string_view command_id, std::string_view raw_digest);
  };
  Result<CaseState*> LoadCase(const std::string& id);
  Result<MerchantState*> LoadMerchant(const std::string& id);
  void IndexCase(const CaseState& before, const CaseState& after, TimeMs at);
  void CountMonthly(const MerchantState& m, const std::tuple<uint32_t, uint32_t, uint32_t>& before,
                    TimeMs at);
  void DiffTimers(const std::vector<Timer>& before, const std::vector<Timer>& after,
                  std::vector<Timer>* new_timers);
  void PutTimer(const Timer& t, bool put, std::vector<Timer>* new_timers);
  void ClearStaged();
  void SetTransactionOwner(const std::string& key, std::optional<std::string> case_id);

  static constexpr size_t kMaxCachedCases = 50000;

 public:
  // Every this many events of a merchant, its state is kept under
  // keys::Snapshot() so that an as-of profile folds at most this many events.
  static constexpr uint64_t kSnapshotEvery = 128;

 private:
  static constexpr size_t kMaxCachedMerchants = 50000;

  ViewStore& store_;
  std::unordered_map<std::string, std::unique_ptr<CaseState>> cases_;  // null: none
  std::unordered_map<std::string, std::unique_ptr<MerchantState>> merchants_;
  std::unordered_set<std::string> dirty_cases_, dirty_merchants_;
  // Timer and index changes are written to the batch as they are staged;
  // transaction owners are also kept here for lookups before the commit.
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  std::unordered_map<std::string, std::optional<std::string>> transactions_;
  // Commands staged in this batch: id -> digest (raw bytes); their results
  // are rendered only when asked for (CommandResult) or committed.
  std::unordered_map<std::string, std::string> command_digests_;
  // The result committed last for the last command of the last commit: its
  // events may go on in the next batch, which then extends it without
  // reading it back from the store.
  std::optional<CommandRecord> open_command_;
  std::map<std::string, int64_t> counters_;  // analytics CF: key -> delta
  std::vector<StagedEvent> staged_;
  // Of the last event staged (meta "policy_version", "schema_version").
  std::string last_policy_version_;
  uint16_t last_schema_version_ = 0;
  bool collect_indicators_ = false;
  std::map<std::string, std::string> indicators_;
};

}  // namespace ledger
