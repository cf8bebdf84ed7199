#include "app/import/cfpb_csv.h"
#include "common/text.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <sodium.h>

#include "common/csv.h"
#include "common/hex.h"

namespace ledger {

const std::array<const char*, kCfpbColumns> kCfpbHeader = {"Date received",
                                                           "Product",
                                                           "Sub-product",
                                                           "Issue",
                                                           "Sub-issue",
                                                           "Consumer complaint narrative",
                                                           "Company public response",
                                                           "Company",
                                                           "State",
                                                           "ZIP code",
                                                           "Tags",
                                                           "Consumer consent provided?",
                                                           "Submitted via",
                                                           "Date sent to company",
                                                           "Company response to consumer",
                                                           "Timely response?",
                                                           "Consumer disputed?",
                                                           "Complaint ID"};

namespace {

std::string NormaliseName(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '_' || c == '-' || c == ' ') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else if (c == '?') {
      continue;
    } else {
      out.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::optional<CfpbColumn> ColumnNamed(std::string_view raw) {
  using C = CfpbColumn;
  static const std::pair<const char*, C> kNames[] = {
      {"date received", C::kDateReceived},
      {"product", C::kProduct},
      {"sub product", C::kSubProduct},
      {"issue", C::kIssue},
      {"sub issue", C::kSubIssue},
      {"consumer complaint narrative", C::kNarrative},
      {"company public response", C::kPublicResponse},
      {"company", C::kCompany},
      {"state", C::kState},
      {"zip code", C::kZip},
      {"zipcode", C::kZip},
      {"tags", C::kTags},
      {"consumer consent provided", C::kConsent},
      {"submitted via", C::kSubmittedVia},
      {"date sent to company", C::kDateSent},
      {"company response to consumer", C::kCompanyResponse},
      {"company response", C::kCompanyResponse},
      {"timely response", C::kTimely},
      {"consumer disputed", C::kDisputed},
      {"complaint id", C::kComplaintId}};
  const std::string n = NormaliseName(raw);
  for (const auto& [name, col] : kNames) {
    if (n == name) return col;
  }
  return std::nullopt;
}

// UTF-8 without NUL (the text a FlatBuffers string and JSON may hold).
bool ValidUtf8(std::string_view s) { return s.find('\0') == std::string_view::npos && IsUtf8(s); }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::vector<CfpbColumn>> RecogniseCfpbHeader(const std::vector<std::string>& fields) {
  std::vector<CfpbColumn> cols;
  std::array<bool, kCfpbColumns> seen{};
  for (const auto& f : fields) {
    auto c = ColumnNamed(f);
    if (!c || seen[static_cast<size_t>(*c)]) return std::nullopt;
    seen[static_cast<size_t>(*c)] = true;
    cols.push_back(*c);
  }
  if (!seen[static_cast<size_t>(CfpbColumn::kDateReceived)] ||
      !seen[static_cast<size_t>(CfpbColumn::kCompany)]) {
    return std::nullopt;
  }
  return cols;
}

Result<TimeMs> ParseCfpbDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  auto bad = [&] {
    return Status::InvalidArgument(
        fmt::format("'{}' is not a date (M/D/YYYY or YYYY-MM-DD)", text));
  };
  const auto s1 = text.find('/');
  if (s1 != std::string_view::npos) {
    const auto s2 = text.find('/', s1 + 1);
    if (s2 == std::string_view::npos) return bad();
    const auto ms = text.substr(0, s1), ds = text.substr(s1 + 1, s2 - s1 - 1),
               ys = text.substr(s2 + 1);
    if (!AllDigits(ms) || !AllDigits(ds) || !AllDigits(ys) || ms.size() > 2 || ds.size() > 2 ||
        ys.size() != 4)
      return bad();
    m = std::stoi(std::string(ms));
    d = std::stoi(std::string(ds));
    y = std::stoi(std::string(ys));
  } else {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !AllDigits(text.substr(0, 4)) ||
        !AllDigits(text.substr(5, 2)) || !AllDigits(text.substr(8, 2))) {
      return bad();
    }
    y = std::stoi(std::string(text.substr(0, 4)));
    m = std::stoi(std::string(text.substr(5, 2)));
    d = std::stoi(std::string(text.substr(8, 2)));
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1] + (m == 2 && leap ? 1 : 0))
    return bad();
  return ParseTime(fmt::format("{:04}-{:02}-{:02}", y, m, d));
}

Result<CfpbRow> CfpbRowFrom(const CsvRecord& record, const std::vector<CfpbColumn>& columns) {
  if (record.fields.size() != columns.size()) {
    return Status::InvalidArgument(
        fmt::format("expected {} fields, found {}", columns.size(), record.fields.size()));
  }
  CfpbRow row;
  row.line = record.line;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!ValidUtf8(record.fields[i])) {
      return Status::InvalidArgument(fmt::format("field '{}' is not valid UTF-8 text",
                                                 kCfpbHeader[static_cast<size_t>(columns[i])]));
    }
    row[columns[i]] = record.fields[i];
  }
  auto received = ParseCfpbDate(row[CfpbColumn::kDateReceived]);
  if (!received.ok())
    return Status::InvalidArgument("Date received: " + received.status().message());
  row.received = *received;
  row[CfpbColumn::kDateReceived] = FormatDate(row.received);
  if (!row[CfpbColumn::kDateSent].empty()) {
    auto sent = ParseCfpbDate(row[CfpbColumn::kDateSent]);
    if (!sent.ok())
      return Status::InvalidArgument("Date sent to company: " + sent.status().message());
    row.sent = *sent;
    row[CfpbColumn::kDateSent] = FormatDate(row.sent);
  }
  if (row[CfpbColumn::kCompany].empty()) return Status::InvalidArgument("Company is blank");
  return row;
}

std::string CfpbMerchantId(std::string_view company) {
  std::string slug;
  for (char ch : company) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) && c < 0x80) {
      slug.push_back(static_cast<char>(std::tolower(c)));
    } else if (!slug.empty() && slug.back() != '-') {
      slug.push_back('-');
    }
    if (slug.size() >= 40) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  uint8_t h[4];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(company.data()),
                     company.size(), nullptr, 0);
  return (slug.empty() ? "company" : slug) + "-" + HexOf(h, sizeof h);
}

}  // namespace ledger
