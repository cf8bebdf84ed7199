// The CFPB's public complaint database: `import cfpb` into the ledger, and
// `export cfpb` back out in the modern 18-column layout.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "app/cli/cli.h"
#include "app/import/cfpb_csv.h"
#include "app/import/cfpb_import.h"
#include "common/data_dir.h"

namespace ledger::cli {
namespace {

// `import cfpb`: a ManualClock the importer sets to each row's date. A new
// data directory gets the cfpb policy unless --policy says otherwise.
int RunImportCfpb(Globals g, const std::vector<std::string>& files, const std::string& as_of) {
  if (g.policy.empty() && !std::filesystem::exists(DataDir(g.data_dir).Policy())) {
    g.policy = "cfpb";
  }
  CfpbImportOptions options;
  options.files = files;
  if (!as_of.empty()) {
    auto t = ParseTime(as_of);
    if (!t.ok()) return Fail(t.status());
    options.as_of = t.value();
  }
  ManualClock clock(0);
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  ProgressPrinter progress("import cfpb", "rows");
  options.progress = [&](uint64_t done, uint64_t total) { progress(done, total); };
  auto summary = ImportCfpb(*ledger.value(), clock, options);
  progress.Finish();
  if (!summary.ok()) return Fail(summary.status());
  for (const auto& r : (*summary)["rejected"]) {
    fmt::print(stderr, "rejected: {} line {}: {}\n", r["file"].get<std::string>(),
               r["line"].get<uint64_t>(), r["reason"].get<std::string>());
  }
  fmt::print("{}\n", summary->dump());
  return (*summary)["file_errors"].get<uint64_t>() > 0 ? 1 : 0;
}

int RunExportCfpb(const Globals& g, const std::string& merchant) {
  const Clock& clock = *g.wall_clock;
  auto ledger = OpenLedger(g, clock);
  if (!ledger.ok()) return Fail(ledger.status());
  std::string id = merchant;
  if (!id.empty()) {
    // A merchant id, or a company's name as the source spells it.
    auto m = ledger.value()->GetMerchant(id);
    if (!m.ok()) id = CfpbMerchantId(merchant);
  }
  auto n = ExportCfpb(ledger.value()->log(), id, std::cout);
  std::cout.flush();
  if (!n.ok()) return Fail(n.status());
  fmt::print(stderr, "exported {} complaints\n", n.value());
  return 0;
}

// What the import commands' options are bound to.
struct ImportArgs {
  std::vector<std::string> files;
  std::string as_of;
  std::string export_merchant;
};

}  // namespace

void AddImportCommands(CLI::App& app, Globals& g, int& rc) {
  auto args = std::make_shared<ImportArgs>();
  auto* exp_cfpb = app.get_subcommand("export")->add_subcommand(
      "cfpb", "Imported CFPB complaints as CSV in the modern 18-column layout");
  exp_cfpb->add_option("--merchant", args->export_merchant,
                       "Only this merchant (id, or the company's name)");
  exp_cfpb->callback([&g, &rc, args] { rc = RunExportCfpb(g, args->export_merchant); });

  auto* imp = app.add_subcommand("import", "Import complaints from outside");
  imp->require_subcommand(1);
  auto* imp_cfpb =
      imp->add_subcommand("cfpb", "The CFPB's public complaint database (CSV, any of its layouts)");
  imp_cfpb->add_option("files", args->files, "CSV files; all rows are sorted by date received")
      ->required();
  imp_cfpb->add_option(
      "--as-of", args->as_of,
      "When the timekeeper judges open complaints (default: the day after the latest date)");
  imp_cfpb->footer(
      "Example:\n  ledger --data ./cfpb-data import cfpb complaints.csv --as-of 2020-03-20");
  imp_cfpb->callback([&g, &rc, args] { rc = RunImportCfpb(g, args->files, args->as_of); });
}

}  // namespace ledger::cli
