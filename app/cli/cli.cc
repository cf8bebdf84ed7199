#include "app/cli/cli.h"

#include "common/data_dir.h"
#include "engine/access.h"

#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "events/open_log.h"

namespace ledger::cli {

OutputFormat Format(const Globals& g) {
  return g.json ? OutputFormat::kJson : OutputFormat::kTable;
}

int Fail(const Status& s) {
  fmt::print(stderr, "error ({}): {}\n", CodeName(s.code()), s.message());
  return 1;
}

namespace {

// Another clock, borrowed: MakeClock returns one type whichever clock it picks.
class BorrowedClock final : public Clock {
 public:
  explicit BorrowedClock(const Clock& clock) : clock_(clock) {}
  TimeMs Now() const override { return clock_.Now(); }

 private:
  const Clock& clock_;
};

}  // namespace

Result<std::unique_ptr<Clock>> MakeClock(const Globals& g) {
  if (g.now.empty()) return std::unique_ptr<Clock>(new BorrowedClock(*g.wall_clock));
  LEDGER_ASSIGN_OR_RETURN(TimeMs t, ParseTime(g.now));
  return std::unique_ptr<Clock>(new ManualClock(t));
}

Result<std::unique_ptr<Ledger>> OpenLedger(const Globals& g, const Clock& clock) {
  LedgerOptions o;
  o.data_dir = g.data_dir;
  o.policy = g.policy;
  o.partitions = g.partitions;
  o.log_uri = g.log_uri;
  return Ledger::Open(o, clock);
}

const ConsumerKeys* OperatorKeys(const Globals& g, const Ledger& ledger) {
  auto actor = ParseActor(g.actor);
  return actor.ok() && MaySeePersonalData(actor->first) ? ledger.keys() : nullptr;
}

Result<std::pair<fb::Role, std::string>> ParseActor(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return Status::InvalidArgument(
        fmt::format("--as '{}': expected ROLE:ID, e.g. consumer:u-17", text));
  }
  const std::string role = text.substr(0, colon);
  for (auto r : fb::EnumValuesRole()) {
    if (role == RoleName(r) && r != fb::Role::system)
      return std::make_pair(r, text.substr(colon + 1));
  }
  return Status::InvalidArgument(
      fmt::format("--as '{}': role must be consumer, merchant, operator or authority", text));
}

std::vector<std::string> Bodies(const std::string& arg) {
  std::vector<std::string> out;
  if (!arg.empty() && arg != "-") {
    out.push_back(arg);
    return out;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) out.push_back(line);
  }
  return out;
}

Result<std::unique_ptr<EventLog>> OpenLogOnly(const Globals& g) {
  return OpenEventLog({g.log_uri, g.data_dir, g.partitions});
}

Result<std::unique_ptr<EventLog>> OpenExistingLog(const Globals& g) {
  if ((g.log_uri.empty() || g.log_uri == "embedded") &&
      !std::filesystem::exists(DataDir(g.data_dir).EmbeddedLog())) {
    return Status::NotFound(fmt::format("{}: no ledger here (no log/ folder)", g.data_dir));
  }
  return OpenEventLog({g.log_uri, g.data_dir, g.partitions});
}

void ListSubcommandsInOrder(CLI::App& app, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    CLI::App_p sub = app.get_subcommand_ptr(name);
    app.remove_subcommand(sub.get());
    app.add_subcommand(std::move(sub));
  }
}

}  // namespace ledger::cli
