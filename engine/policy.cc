#include "engine/policy.h"

#include <sstream>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "builtin_policies.h"

namespace ledger {

namespace {

using nlohmann::json;

Result<fb::Category> CategoryFromName(const std::string& name) {
  for (auto c : fb::EnumValuesCategory()) {
    if (name == fb::EnumNameCategory(c)) return c;
  }
  return Status::InvalidArgument(fmt::format("policy: unknown category '{}'", name));
}

// Upper bounds, so every duration fits a TimeMs and every count an unsigned.
constexpr double kMaxHours = 24.0 * 366 * 100;  // a century
constexpr double kMaxDays = 366.0 * 100;
constexpr double kMaxCount = 1e6;

Result<double> Number(const json& j, const char* key, double max) {
  if (!j.contains(key)) return Status::InvalidArgument(fmt::format("policy: missing '{}'", key));
  if (!j[key].is_number()) {
    return Status::InvalidArgument(fmt::format("policy: '{}' must be a number", key));
  }
  const double v = j[key].get<double>();
  if (!(v >= 0))
    return Status::InvalidArgument(fmt::format("policy: '{}' must not be negative", key));
  if (v > max)
    return Status::InvalidArgument(
        fmt::format("policy: '{}' is {:g}, more than {:g}", key, v, max));
  return v;
}

Result<TimeMs> Hours(const json& j, const char* key) {
  LEDGER_ASSIGN_OR_RETURN(double h, Number(j, key, kMaxHours));
  return static_cast<TimeMs>(h * kHourMs);
}

Result<std::string> Text(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty()) {
    return Status::InvalidArgument(fmt::format("policy: '{}' must be a non-empty string", key));
  }
  return j[key].get<std::string>();
}

// An optional member of type `T` (string or bool), or `fallback` when absent.
template <typename T>
Result<T> Optional(const json& j, const char* key, T fallback, const std::string& where) {
  if (!j.contains(key)) return fallback;
  const bool ok = std::is_same_v<T, bool> ? j[key].is_boolean() : j[key].is_string();
  if (!ok) {
    return Status::InvalidArgument(
        fmt::format("policy: {}'{}' must be {}", where, key,
                    std::is_same_v<T, bool> ? "true or false" : "a string"));
  }
  return j[key].get<T>();
}

Result<RoutingRule> ParseRule(const json& r, size_t index) {
  RoutingRule rule;
  if (!r.is_object()) {
    return Status::InvalidArgument(fmt::format("policy: routing[{}] must be an object", index));
  }
  auto authority = Text(r, "authority");
  if (!authority.ok()) {
    return Status::InvalidArgument(fmt::format("policy: routing[{}] needs an 'authority'", index));
  }
  rule.authority = authority.value();
  if (r.contains("categories")) {
    if (!r["categories"].is_array()) {
      return Status::InvalidArgument(
          fmt::format("policy: routing[{}].categories must be an array", index));
    }
    for (const auto& c : r["categories"]) {
      if (!c.is_string()) return Status::InvalidArgument("policy: categories must be strings");
      LEDGER_ASSIGN_OR_RETURN(auto cat, CategoryFromName(c.get<std::string>()));
      rule.categories.push_back(cat);
    }
  }
  const std::string where = fmt::format("routing[{}].", index);
  LEDGER_ASSIGN_OR_RETURN(rule.sector, Optional<std::string>(r, "sector", "", where));
  LEDGER_ASSIGN_OR_RETURN(rule.region, Optional<std::string>(r, "region", "", where));
  LEDGER_ASSIGN_OR_RETURN(rule.violation, Optional<bool>(r, "violation", false, where));
  return rule;
}

}  // namespace

Route Policy::RouteFor(fb::Category category, std::string_view sector,
                       std::string_view region) const {
  for (const auto& r : routing) {
    if (!r.categories.empty() &&
        std::find(r.categories.begin(), r.categories.end(), category) == r.categories.end()) {
      continue;
    }
    if (!r.sector.empty() && r.sector != sector) continue;
    if (!r.region.empty() && r.region != region) continue;
    return {r.authority, r.violation};
  }
  return {};
}

Result<Policy> ParsePolicy(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("policy: not a JSON object");
  }
  Policy p;
  LEDGER_ASSIGN_OR_RETURN(p.name, Text(j, "name"));
  LEDGER_ASSIGN_OR_RETURN(p.version, Text(j, "version"));
  LEDGER_ASSIGN_OR_RETURN(p.description, Optional<std::string>(j, "description", "", ""));
  if (!j.contains("response_windows_hours") || !j["response_windows_hours"].is_array() ||
      j["response_windows_hours"].empty()) {
    return Status::InvalidArgument("policy: 'response_windows_hours' must be a non-empty array");
  }
  for (const auto& w : j["response_windows_hours"]) {
    if (!w.is_number() || !(w.get<double>() > 0) || w.get<double>() > kMaxHours) {
      return Status::InvalidArgument(fmt::format(
          "policy: each response window must be a positive number of hours up to {:g}", kMaxHours));
    }
    p.response_windows.push_back(static_cast<TimeMs>(w.get<double>() * kHourMs));
  }
  LEDGER_ASSIGN_OR_RETURN(double decay_days, Number(j, "delay_decay_days", kMaxDays));
  p.delay_decay = static_cast<TimeMs>(decay_days * kDayMs);
  LEDGER_ASSIGN_OR_RETURN(double warn, Number(j, "warning_active_delays", kMaxCount));
  LEDGER_ASSIGN_OR_RETURN(double suspend, Number(j, "suspension_active_delays", kMaxCount));
  p.warning_active_delays = static_cast<unsigned>(warn);
  p.suspension_active_delays = static_cast<unsigned>(suspend);
  if (p.warning_active_delays == 0 || p.suspension_active_delays < p.warning_active_delays) {
    return Status::InvalidArgument(
        "policy: need 0 < warning_active_delays <= suspension_active_delays");
  }
  LEDGER_ASSIGN_OR_RETURN(p.defence_window, Hours(j, "defence_window_hours"));
  LEDGER_ASSIGN_OR_RETURN(p.arbitration_remedy_window, Hours(j, "arbitration_remedy_window_hours"));
  LEDGER_ASSIGN_OR_RETURN(p.mediation_remedy_window, Hours(j, "mediation_remedy_window_hours"));
  LEDGER_ASSIGN_OR_RETURN(p.closure_window, Hours(j, "closure_window_hours"));
  if (!j.contains("arbitration_fee_percent") || !j["arbitration_fee_percent"].is_object()) {
    return Status::InvalidArgument("policy: 'arbitration_fee_percent' must be {\"min\", \"max\"}");
  }
  LEDGER_ASSIGN_OR_RETURN(p.fee_percent_min, Number(j["arbitration_fee_percent"], "min", 100));
  LEDGER_ASSIGN_OR_RETURN(p.fee_percent_max, Number(j["arbitration_fee_percent"], "max", 100));
  if (p.fee_percent_min > p.fee_percent_max || p.fee_percent_max > 100) {
    return Status::InvalidArgument("policy: arbitration fee needs min <= max <= 100");
  }
  LEDGER_ASSIGN_OR_RETURN(p.arbitration_authority, Text(j, "arbitration_authority"));
  if (!j.contains("routing") || !j["routing"].is_array()) {
    return Status::InvalidArgument("policy: 'routing' must be an array");
  }
  for (size_t i = 0; i < j["routing"].size(); ++i) {
    LEDGER_ASSIGN_OR_RETURN(auto rule, ParseRule(j["routing"][i], i));
    p.routing.push_back(std::move(rule));
  }
  const auto& last = p.routing.empty() ? RoutingRule{} : p.routing.back();
  if (p.routing.empty() || !last.categories.empty() || !last.sector.empty() ||
      !last.region.empty()) {
    return Status::InvalidArgument("policy: the last routing row must match every complaint");
  }
  return p;
}

std::optional<std::string_view> BuiltinPolicyText(std::string_view name) {
  if (name == "enamad") return std::string_view(kEnamadPolicy);
  if (name == "cfpb") return std::string_view(kCfpbPolicy);
  return std::nullopt;
}

}  // namespace ledger
