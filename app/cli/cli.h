// Layer app/cli, the top of app/: the `ledger` command line. It owns parsing
// the arguments, opening the ledger (or only its log) that the global options
// name, running one command and printing its result as tables or JSON lines.
// It must never decide a rule nor touch RocksDB or Kafka directly: it
// goes through the app/ledger service and the public headers of events/ (the
// EventLog interface), replay/ and projections/.
//
// main.cc holds the global options; each command family registers its
// subcommands with one AddXxxCommands function in its own file. A callback
// sets `rc` to the process exit code. Storage bound to a family's options
// lives in a std::make_shared struct that the callbacks capture, so nothing
// they hold dangles once the registration function has returned; `app`, `g`
// and `rc` must outlive the parse.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/cli/output.h"
#include "app/ledger/service.h"
#include "common/status.h"
#include "common/time.h"
#include "engine/personal_data.h"
#include "engine/state.h"
#include "events/event_log.h"

namespace ledger::cli {

// The global options, which may come before or after the subcommand.
struct Globals {
  std::string data_dir;
  std::string policy;
  std::string now;
  std::string actor = "operator:centre";
  std::string command_id;
  bool json = false;
  uint32_t partitions = 6;
  std::string log_uri;
  // The system clock, the one main.cc chooses (no other file of the program
  // names it); the commands read it unless --now is given.
  // REQUIRES: set before the commands run, and outlives them.
  const Clock* wall_clock = nullptr;
};

// --json: JSON lines; else tables.
OutputFormat Format(const Globals& g);

// Prints `error (code): message` on stderr and returns the exit code, 1.
int Fail(const Status& s);

// The clock the command runs on: g.wall_clock, or the time given by --now.
[[nodiscard]] Result<std::unique_ptr<Clock>> MakeClock(const Globals& g);

// Opens (or creates) the ledger that --data, --policy, --partitions and --log name.
[[nodiscard]] Result<std::unique_ptr<Ledger>> OpenLedger(const Globals& g, const Clock& clock);

// The key store when the command acts as the operator (who may see
// consumers' names and phones), else null: personal data is left out.
const ConsumerKeys* OperatorKeys(const Globals& g, const Ledger& ledger);

// --as ROLE:ID; any role but system.
[[nodiscard]] Result<std::pair<fb::Role, std::string>> ParseActor(const std::string& text);

// Reads the JSON bodies: the argument, or stdin (one per line; blank lines skipped).
std::vector<std::string> Bodies(const std::string& arg);

// The log alone, without views or policy (an embedded log is created where there is none).
[[nodiscard]] Result<std::unique_ptr<EventLog>> OpenLogOnly(const Globals& g);

// The log alone, for the checkpoint commands: an embedded log must already
// exist (nothing is created where none was).
[[nodiscard]] Result<std::unique_ptr<EventLog>> OpenExistingLog(const Globals& g);

// Moves the named subcommands of `app`, in this order, behind the others, so
// that `--help` lists them so whatever order the families registered them in.
// REQUIRES: each name is a subcommand of `app`.
void ListSubcommandsInOrder(CLI::App& app, const std::vector<std::string>& names);

// The command families, one file each.
// write_commands.cc: one subcommand per command type (file, respond, ...), submit, tick, erase.
void AddWriteCommands(CLI::App& app, Globals& g, int& rc);
// read_commands.cc: case, history, merchant, status, tail.
void AddReadCommands(CLI::App& app, Globals& g, int& rc);
// audit_commands.cc: rebuild, copy-log, verify, checkpoint keygen/sign/check, export (of events).
void AddAuditCommands(CLI::App& app, Globals& g, int& rc);
// import_commands.cc: import cfpb, and export cfpb under `export`.
// REQUIRES: AddAuditCommands(app, ...) ran first (it adds `export`).
void AddImportCommands(CLI::App& app, Globals& g, int& rc);
// query_commands.cc: query rank, open, analytics, response-times, merchants.
void AddQueryCommands(CLI::App& app, Globals& g, int& rc);
// run_commands.cc: simulate, project, serve, token, demo.
void AddRunCommands(CLI::App& app, Globals& g, int& rc);

}  // namespace ledger::cli
