#include "engine/cfpb_import.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>
#include <sodium.h>

#include "engine/cfpb_csv.h"
#include "events/codec.h"

namespace ledger {

namespace fs = std::filesystem;

namespace {

constexpr int kHeaderSearchRecords = 10;
constexpr const char* kActor = "cfpb-import";

using C = CfpbColumn;

struct PendingRow {
  CfpbRow row;
  std::string command_id;
  std::string case_id;
};

// The reason part of a reader error ("line N: why" -> "why").
std::string ReasonOf(const Status& s) {
  const std::string& m = s.message();
  if (m.rfind("line ", 0) == 0) {
    const auto colon = m.find(": ");
    if (colon != std::string::npos) return m.substr(colon + 2);
  }
  return m;
}

std::string ContentHash(const CfpbRow& row) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 8);
  for (const auto& f : row.f) {
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(f.data()), f.size());
    const unsigned char sep = 0x1f;
    crypto_generichash_update(&st, &sep, 1);
  }
  uint8_t h[8];
  crypto_generichash_final(&st, h, sizeof h);
  return HexOf(h, sizeof h);
}

Result<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(fmt::format("cannot open {}", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError(fmt::format("cannot read {}", path));
  return ss.str();
}

std::string CommandBody(const PendingRow& p, const std::string& source_file) {
  const CfpbRow& r = p.row;
  nlohmann::json b = {
      {"case_id", p.case_id},
      {"merchant_id", CfpbMerchantId(r[C::kCompany])},
      {"company", r[C::kCompany]},
      {"date_received", r[C::kDateReceived]},
      {"date_sent", r[C::kDateSent]},
      {"product", r[C::kProduct]},
      {"sub_product", r[C::kSubProduct]},
      {"issue", r[C::kIssue]},
      {"sub_issue", r[C::kSubIssue]},
      {"narrative", r[C::kNarrative]},
      {"company_public_response", r[C::kPublicResponse]},
      {"state", r[C::kState]},
      {"zip_code", r[C::kZip]},
      {"tags", r[C::kTags]},
      {"consumer_consent", r[C::kConsent]},
      {"submitted_via", r[C::kSubmittedVia]},
      {"company_response", r[C::kCompanyResponse]},
      {"timely_response", r[C::kTimely]},
      {"consumer_disputed", r[C::kDisputed]},
      {"complaint_id", r[C::kComplaintId]},
      {"source_file", source_file},
      {"source_line", r.line},
  };
  return b.dump();
}

struct FileRead {
  std::string name;  // provenance: the file's name without its folder
  uint64_t rows = 0;
  uint64_t header_line = 0;
};

}  // namespace

Result<nlohmann::json> ImportCfpb(Ledger& ledger, ManualClock& clock, const CfpbImportOptions& options) {
  if (ledger.policy().name != "cfpb") {
    return Status::InvalidArgument(fmt::format(
        "import cfpb: this ledger runs under policy '{}'; CFPB complaints are judged under 'cfpb' "
        "(use a new data directory with --policy cfpb)", ledger.policy().name));
  }
  nlohmann::json rejected = nlohmann::json::array();
  auto reject = [&](const std::string& file, uint64_t line, const std::string& why) {
    rejected.push_back({{"file", file}, {"line", line}, {"reason", why}});
  };
  std::vector<FileRead> files;
  std::vector<PendingRow> pending;
  std::unordered_map<std::string, uint32_t> identical;  // content hash -> rows seen (rows without an id)
  uint64_t rows = 0, possible_duplicates = 0, file_errors = 0;
  TimeMs latest = 0;
  for (uint32_t fi = 0; fi < options.files.size(); ++fi) {
    const std::string& path = options.files[fi];
    FileRead fr;
    fr.name = fs::path(path).filename().string();
    auto text = ReadWhole(path);
    if (!text.ok()) {
      reject(fr.name, 0, text.status().message());
      ++file_errors;
      files.push_back(fr);
      continue;
    }
    CsvReader reader(*text);
    std::optional<std::vector<CfpbColumn>> columns;
    for (int i = 0; i < kHeaderSearchRecords && !columns; ++i) {
      auto rec = reader.Next();
      if (!rec.ok()) continue;
      if (!rec.value()) break;
      columns = RecogniseCfpbHeader(rec.value()->fields);
      if (columns) fr.header_line = rec.value()->line;
    }
    if (!columns) {
      reject(fr.name, 0, fmt::format("no CFPB header in its first {} records (a header names columns such as "
                                     "'Date received', 'Company', 'Complaint ID'); nothing of the file was read",
                                     kHeaderSearchRecords));
      ++file_errors;
      files.push_back(fr);
      continue;
    }
    while (true) {
      auto rec = reader.Next();
      if (!rec.ok()) {
        ++rows;
        ++fr.rows;
        reject(fr.name, reader.error_line(), ReasonOf(rec.status()));
        continue;
      }
      if (!rec.value()) break;
      ++rows;
      ++fr.rows;
      auto row = CfpbRowFrom(*rec.value(), *columns);
      if (!row.ok()) {
        reject(fr.name, rec.value()->line, row.status().message());
        continue;
      }
      PendingRow p;
      p.row = std::move(row).value();
      p.row.file = fi;
      latest = std::max({latest, p.row.received, p.row.sent});
      const std::string& id = p.row[C::kComplaintId];
      if (!id.empty()) {
        p.command_id = "cfpb/" + id;
        p.case_id = "cfpb-" + id;
      } else {
        // No id in the source: the row's content and its rank among
        // identical rows, so exact duplicates stay separate complaints.
        const std::string h = ContentHash(p.row);
        const uint32_t n = identical[h]++;
        if (n > 0) ++possible_duplicates;
        p.command_id = fmt::format("cfpb/row/{}/{}", h, n);
        p.case_id = fmt::format("cfpb-{}-{}", h, n);
      }
      pending.push_back(std::move(p));
    }
    files.push_back(fr);
  }

  // Rows imported before are counted and dropped (in place: the rows are
  // most of the importer's memory).
  uint64_t already = 0, imported = 0;
  Status lookup;
  std::erase_if(pending, [&](const PendingRow& p) {
    if (!lookup.ok()) return false;
    auto known = ledger.KnowsCommand(p.command_id);
    if (!known.ok()) lookup = known.status();
    if (known.ok() && known.value()) ++already;
    return known.ok() && known.value();
  });
  LEDGER_RETURN_IF_ERROR(lookup);
  std::vector<PendingRow>& todo = pending;
  // (received, file, line) is unique: a total order, so std::sort needs no
  // stable buffer.
  std::sort(todo.begin(), todo.end(), [](const PendingRow& a, const PendingRow& b) {
    return std::tie(a.row.received, a.row.file, a.row.line) < std::tie(b.row.received, b.row.file, b.row.line);
  });
  LEDGER_ASSIGN_OR_RETURN(TimeMs ledger_time, ledger.LedgerTime());
  const CommandCodec& codec = ledger.codec();
  const uint64_t total = todo.size();
  uint64_t done = 0;
  for (size_t i = 0; i < todo.size();) {
    const TimeMs at = todo[i].row.received;
    size_t j = i;
    std::vector<ParsedCommand> batch;
    std::vector<size_t> index;
    while (j < todo.size() && todo[j].row.received == at && batch.size() < options.batch) {
      const PendingRow& p = todo[j];
      const std::string& file = files[p.row.file].name;
      if (at < ledger_time) {
        reject(file, p.row.line, fmt::format(
            "received {} is before the ledger's latest event ({}): the ledger does not write into its "
            "past; import the files of a period together, oldest period first", FormatDate(at), FormatTime(ledger_time)));
      } else {
        auto cmd = codec.ParseBody(fb::Command::ImportCfpbComplaint, CommandBody(p, file), p.command_id,
                                   fb::Role::operator_, kActor);
        if (cmd.ok()) {
          batch.push_back(std::move(cmd).value());
          index.push_back(j);
        } else {
          reject(file, p.row.line, cmd.status().message());
        }
      }
      ++j;
    }
    if (!batch.empty()) {
      clock.Set(at);
      auto outcomes = ledger.Submit(batch);
      for (size_t k = 0; k < outcomes.size(); ++k) {
        const PendingRow& p = todo[index[k]];
        if (!outcomes[k].status.ok()) {
          reject(files[p.row.file].name, p.row.line, outcomes[k].status.message());
        } else if (outcomes[k].result.value("replayed", false)) {
          ++already;
        } else {
          ++imported;
        }
      }
      LEDGER_ASSIGN_OR_RETURN(ledger_time, ledger.LedgerTime());
    }
    done += j - i;
    if (options.progress) options.progress(done, total);
    i = j;
  }

  nlohmann::json summary;
  const TimeMs as_of = options.as_of ? *options.as_of : (latest > 0 ? latest + kDayMs : 0);
  LEDGER_ASSIGN_OR_RETURN(ledger_time, ledger.LedgerTime());
  if (as_of > 0 && as_of >= ledger_time) {
    clock.Set(as_of);
    LEDGER_ASSIGN_OR_RETURN(size_t fired, ledger.Tick(as_of));
    summary["as_of"] = FormatDate(as_of);
    summary["timer_events"] = fired;
  } else if (as_of > 0) {
    summary["as_of"] = nullptr;
    summary["as_of_note"] = fmt::format("not ticked: {} is before the ledger's latest event ({})",
                                        FormatDate(as_of), FormatTime(ledger_time));
  }
  nlohmann::json fl = nlohmann::json::array();
  for (const auto& f : files) fl.push_back({{"file", f.name}, {"rows", f.rows}, {"header_line", f.header_line}});
  summary["files"] = fl;
  summary["file_errors"] = file_errors;
  summary["rows"] = rows;
  summary["imported"] = imported;
  summary["already_present"] = already;
  summary["rejected"] = rejected;
  summary["possible_duplicates"] = possible_duplicates;
  return summary;
}

Result<uint64_t> ExportCfpb(EventLog& log, const std::string& merchant_id, std::ostream& out) {
  struct Row {
    std::array<std::string, kCfpbColumns> f;
    TimeMs received = 0;
    std::string source_file;
    uint64_t line = 0;
  };
  std::vector<Row> rows;
  std::unordered_map<std::string, size_t> by_case;
  for (PartitionId p = 0; p < log.partitions(); ++p) {
    LEDGER_ASSIGN_OR_RETURN(Offset end, log.EndOffset(p));
    for (Offset o = 0; o < end;) {
      LEDGER_ASSIGN_OR_RETURN(auto records, log.Read(p, o, 4096));
      if (records.empty()) break;
      for (const auto& rec : records) {
        o = rec.offset + 1;
        LEDGER_ASSIGN_OR_RETURN(const fb::Event* e, DecodeEvent(rec.bytes, rec.partition, rec.offset));
        auto s = [](const flatbuffers::String* x) { return x ? x->str() : std::string(); };
        if (!merchant_id.empty() && s(e->partition_key()) != merchant_id) continue;
        if (e->payload_type() == fb::Payload::CfpbComplaintFiled) {
          const auto* x = e->payload_as_CfpbComplaintFiled();
          Row r;
          auto set = [&](C c, std::string v) { r.f[static_cast<size_t>(c)] = std::move(v); };
          set(C::kDateReceived, FormatDate(x->received_at_ms()));
          set(C::kProduct, s(x->product()));
          set(C::kSubProduct, s(x->sub_product()));
          set(C::kIssue, s(x->issue()));
          set(C::kSubIssue, s(x->sub_issue()));
          set(C::kNarrative, s(x->narrative()));
          set(C::kCompany, s(x->company()));
          set(C::kState, s(x->state()));
          set(C::kZip, s(x->zip_code()));
          set(C::kTags, s(x->tags()));
          set(C::kConsent, s(x->consumer_consent()));
          set(C::kSubmittedVia, s(x->submitted_via()));
          set(C::kDateSent, x->sent_at_ms() != 0 ? FormatDate(x->sent_at_ms()) : "");
          set(C::kComplaintId, s(x->complaint_id()));
          r.received = x->received_at_ms();
          r.source_file = s(x->source_file());
          r.line = x->source_line();
          by_case[s(x->case_id())] = rows.size();
          rows.push_back(std::move(r));
        } else if (e->payload_type() == fb::Payload::CfpbStatusPublished) {
          const auto* x = e->payload_as_CfpbStatusPublished();
          auto it = by_case.find(s(x->case_id()));
          if (it == by_case.end()) continue;
          Row& r = rows[it->second];
          r.f[static_cast<size_t>(C::kCompanyResponse)] = s(x->company_response());
          r.f[static_cast<size_t>(C::kPublicResponse)] = s(x->company_public_response());
          r.f[static_cast<size_t>(C::kTimely)] = s(x->timely_response());
          r.f[static_cast<size_t>(C::kDisputed)] = s(x->consumer_disputed());
        }
      }
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.received, a.source_file, a.line) < std::tie(b.received, b.source_file, b.line);
  });
  std::string line;
  for (size_t i = 0; i < kCfpbColumns; ++i) line += (i ? "," : "") + CsvQuote(kCfpbHeader[i]);
  out << line << '\n';
  for (const auto& r : rows) {
    line.clear();
    for (size_t i = 0; i < kCfpbColumns; ++i) {
      if (i) line.push_back(',');
      line += CsvQuote(r.f[i]);
    }
    out << line << '\n';
  }
  if (!out) return Status::IoError("export cfpb: cannot write the output");
  return static_cast<uint64_t>(rows.size());
}

}  // namespace ledger
