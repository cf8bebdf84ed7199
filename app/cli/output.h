// How the `ledger` command prints: JSON (one object per line) or tables for
// people.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "replay/history.h"

namespace ledger {

enum class OutputFormat { kJson, kTable };

// One command's outcome: the result object, or "error" with "code".
void PrintOutcome(const nlohmann::json& result, bool ok, OutputFormat format);
// A flat object as "key  value" lines (nested objects as "key.sub").
void PrintObject(const nlohmann::json& object, OutputFormat format);
// A progress bar on a terminal (stderr), plain lines every 10 % otherwise.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::string what, std::string unit = "events");
  void operator()(uint64_t done, uint64_t total);
  void Finish();

 private:
  std::string what_;
  std::string unit_;
  bool tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

void PrintTimeline(const std::vector<TimelineEntry>& entries, OutputFormat format);

}  // namespace ledger
