#include "projections/keys.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/coding.h"

namespace ledger::keys {

namespace {

constexpr char kSep = '\0';

// `prefix` then the parts joined by NUL.
std::string Join(std::string_view prefix, std::initializer_list<std::string_view> parts) {
  std::string k(prefix);
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) k.push_back(kSep);
    k += p;
    first = false;
  }
  return k;
}

std::vector<std::string> Split(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == kSep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::optional<std::vector<std::string>> SplitAfter(std::string_view key, std::string_view prefix,
                                                   size_t parts) {
  if (key.substr(0, prefix.size()) != prefix) return std::nullopt;
  auto out = Split(key.substr(prefix.size()));
  if (out.size() != parts) return std::nullopt;
  return out;
}

std::string Month(TimeMs t) { return FormatDate(t).substr(0, 7); }

}  // namespace

std::string Transaction(std::string_view merchant_id, const fb::TransactionT& t) {
  return Join("tx/", {merchant_id, t.reference_number, t.terminal,
                      std::to_string(t.purchase_date_ms), std::to_string(t.amount)});
}

std::string SnapshotPrefix(std::string_view merchant_id) {
  return Join("snap/", {merchant_id, ""});
}

std::string Snapshot(std::string_view merchant_id, TimeMs at, PartitionId p, Offset o) {
  std::string k = SnapshotPrefix(merchant_id);
  PutBigEndian(k, static_cast<uint64_t>(at));
  PutBigEndian(k, p);
  PutBigEndian(k, o);
  return k;
}

std::string SnapshotUpperBound(std::string_view merchant_id, TimeMs at) {
  std::string k = SnapshotPrefix(merchant_id);
  PutBigEndian(k, static_cast<uint64_t>(at));
  return k + std::string(16, '\xff');
}

std::optional<Position> SnapshotPosition(std::string_view key, std::string_view merchant_id) {
  const std::string prefix = SnapshotPrefix(merchant_id);
  if (key.size() != prefix.size() + 24 || key.substr(0, prefix.size()) != prefix)
    return std::nullopt;
  const std::string_view rest = key.substr(prefix.size());
  return Position{
      static_cast<PartitionId>(DecodeU64(rest.substr(8, 8))), DecodeU64(rest.substr(16, 8)), {}};
}

std::string OpenCase(const CaseState& c) {
  return Join("st/", {fb::EnumNameCaseStatus(c.status), c.authority, c.case_id});
}

std::string OpenCasePrefix(std::string_view status) {
  return status.empty() ? std::string("st/") : Join("st/", {status, ""});
}

std::optional<OpenCaseParts> ParseOpenCase(std::string_view key) {
  auto parts = SplitAfter(key, "st/", 3);
  if (!parts) return std::nullopt;
  return OpenCaseParts{(*parts)[0], (*parts)[1], (*parts)[2]};
}

std::string Tracking(std::string_view code) { return "trk/" + std::string(code); }

std::string ResponseTime(std::string_view merchant_id, TimeMs took, std::string_view case_id) {
  return Join("rt/",
              {merchant_id, EncodeU64(static_cast<uint64_t>(std::max<TimeMs>(0, took))), case_id});
}

std::string ResponseTimeAll(TimeMs took, std::string_view case_id) {
  return Join("rt*/", {EncodeU64(static_cast<uint64_t>(std::max<TimeMs>(0, took))), case_id});
}

std::string ResponseTimePrefix(std::string_view merchant_id) {
  return merchant_id.empty() ? std::string("rt*/") : Join("rt/", {merchant_id, ""});
}

TimeMs ResponseTimeOf(std::string_view key, std::string_view prefix) {
  return static_cast<TimeMs>(DecodeU64(key.substr(std::min(prefix.size(), key.size()), 8)));
}

std::string Count(const CaseState& c) {
  return Join(kCountPrefix,
              {Month(c.accepted_at_ms), fb::EnumNameCategory(c.category), c.authority, c.region});
}

std::optional<std::vector<std::string>> ParseCount(std::string_view key) {
  return SplitAfter(key, kCountPrefix, 4);
}

std::string CfpbCount(const CaseState& c, std::string_view company_response) {
  return Join(kCfpbCountPrefix, {Month(c.filed_at_ms), c.cfpb_product, c.cfpb_issue, c.cfpb_state,
                                 c.cfpb_channel, company_response});
}

std::optional<std::vector<std::string>> ParseCfpbCount(std::string_view key) {
  return SplitAfter(key, kCfpbCountPrefix, 6);
}

std::string Monthly(std::string_view merchant_id, std::string_view month, std::string_view kind) {
  return Join("mm/", {merchant_id, month, kind});
}

std::string TimerKey(const Timer& t) {
  std::string k;
  k.reserve(16 + t.merchant_id.size() + t.case_id.size());
  PutBigEndian(k, static_cast<uint64_t>(t.due));
  k.push_back(static_cast<char>(t.kind));
  k += t.merchant_id;
  k.push_back(kSep);
  k += t.case_id;
  k.push_back(kSep);
  k.push_back(static_cast<char>(t.window));
  return k;
}

std::optional<Timer> ParseTimer(std::string_view k) {
  if (k.size() < 12) return std::nullopt;
  Timer t;
  t.due = static_cast<TimeMs>(DecodeU64(k));
  t.kind = static_cast<TimerKind>(k[8]);
  const size_t m_end = k.find(kSep, 9);
  if (m_end == std::string_view::npos) return std::nullopt;
  const size_t c_end = k.find(kSep, m_end + 1);
  if (c_end == std::string_view::npos || c_end + 2 != k.size()) return std::nullopt;
  t.merchant_id = std::string(k.substr(9, m_end - 9));
  t.case_id = std::string(k.substr(m_end + 1, c_end - m_end - 1));
  t.window = static_cast<uint8_t>(k[c_end + 1]);
  return t;
}

std::string TimersFrom(TimeMs due) { return EncodeU64(static_cast<uint64_t>(due)); }

std::string NextOffset(PartitionId p) { return fmt::format("offset/{:05}", p); }
std::string ChainHead(PartitionId p) { return fmt::format("head/{:05}", p); }

}  // namespace ledger::keys
