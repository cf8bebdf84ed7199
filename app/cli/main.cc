// `ledger`: the command line of the complaint ledger. This file holds the
// global options and the order of the commands; each family of commands
// registers itself (app/cli/cli.h).
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/cli/cli.h"
#include "common/time.h"

namespace ledger::cli {
namespace {

// The order `ledger --help` lists the commands in, after the one subcommand
// per command type (file, respond, ...) that come first.
const std::vector<std::string> kHelpOrder = {
    "submit",  "tick",     "case",     "history",    "erase",  "merchant",  // write and read
    "rebuild", "copy-log", "verify",   "checkpoint", "export", "import",    // audit and import
    "query",   "status",   "simulate", "project",    "serve",  "token",    "tail", "demo",
};

void AddGlobalOptions(CLI::App& app, Globals& g) {
  const char* env_data = std::getenv("LEDGER_DATA");
  g.data_dir = env_data ? env_data : "./ledger-data";
  app.add_option("--data", g.data_dir, "Data directory (default ./ledger-data, or $LEDGER_DATA)");
  app.add_option("--policy", g.policy,
                 "Policy profile (enamad, cfpb) or policy file; default: the ledger's own");
  app.add_option("--now", g.now, "Act as if the time were this (UTC), instead of the system clock");
  app.add_option("--as", g.actor, "Who acts, ROLE:ID (consumer, merchant, operator, authority)")
      ->capture_default_str();
  app.add_option("--id", g.command_id, "Command id (idempotency key) for a single command");
  app.add_flag("--json", g.json, "Print JSON instead of tables");
  app.add_option("--log", g.log_uri,
                 "The event log: embedded (default) or kafka://HOST:PORT[/TOPIC]");
  app.add_option("--partitions", g.partitions, "Partitions of a new embedded log")
      ->capture_default_str();
}

int Main(int argc, char** argv) {
  CLI::App app{
      "ledger: every action on a consumer complaint as an immutable event; "
      "case state and merchant indicators rebuilt from them."};
  app.require_subcommand(1);
  // Global options (--json, --data, ...) may also follow the subcommand.
  app.fallthrough();
  // The one real clock: every other file takes time from Globals::wall_clock
  // (tests/no_wall_clock_test.sh).
  const SystemClock system_clock;
  Globals g;
  g.wall_clock = &system_clock;
  AddGlobalOptions(app, g);

  int rc = 0;
  AddWriteCommands(app, g, rc);
  AddReadCommands(app, g, rc);
  AddAuditCommands(app, g, rc);
  AddImportCommands(app, g, rc);  // after AddAuditCommands: `export cfpb` goes under its `export`
  AddQueryCommands(app, g, rc);
  AddRunCommands(app, g, rc);
  ListSubcommandsInOrder(app, kHelpOrder);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return rc;
}

}  // namespace
}  // namespace ledger::cli

int main(int argc, char** argv) { return ledger::cli::Main(argc, argv); }
