#include "app/import/cfpb_import.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <sodium.h>

#include "app/import/cfpb_csv.h"
#include "common/csv.h"
#include "events/codec.h"

namespace ledger {

namespace fs = std::filesystem;

namespace {

constexpr int kHeaderSearchRecords = 10;
constexpr const char* kActor = "cfpb-import";

using C = CfpbColumn;

// Where a row is, found by the first pass: enough to sort the rows by date
// and read each one again, alone, in the second (40 bytes a row; the rows
// themselves are never all in memory at once).
struct RowRef {
  TimeMs received = 0;
  uint64_t offset = 0;  // where the reader started the record in its file
  uint64_t line = 0;    // the reader's line there
  uint32_t length = 0;  // bytes to the record's end
  uint32_t file = 0;
  uint32_t rank = 0;  // among identical rows without a Complaint ID
};

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
// An input file, open for both passes.
struct InputFile {
  FileRead read;
  int fd = -1;
  uint64_t size = 0;
  struct timespec mtime {};
  InputFile() = default;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  InputFile(InputFile&& o) noexcept
      : read(std::move(o.read)), fd(o.fd), size(o.size), mtime(o.mtime) {
    o.fd = -1;
  }
  ~InputFile() {
    if (fd >= 0) ::close(fd);
  }
};

// A read-only mapping of a whole file, read front to back: pages already
// read are given back (Release) so the resident set stays small however
// large the file.
class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> Map(int fd, uint64_t size, const std::string& name) {
    std::unique_ptr<MappedFile> m(new MappedFile);
    m->size_ = size;
    if (size == 0) return m;
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
      return Status::IoError(fmt::format("cannot map {}: {}", name, std::strerror(errno)));
    ::madvise(p, size, MADV_SEQUENTIAL);
    m->data_ = static_cast<const char*>(p);
    return m;
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  std::string_view text() const { return {data_ ? data_ : "", size_}; }
  // Drops the pages wholly before `offset` from the resident set (they stay
  // in the page cache; reading them again faults them back in).
  void Release(uint64_t offset) {
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const uint64_t end = offset / page * page;
    if (data_ && end > released_) {
      ::madvise(const_cast<char*>(data_) + released_, end - released_, MADV_DONTNEED);
      released_ = end;
    }
  }

 private:
  MappedFile() = default;
  const char* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t released_ = 0;
};

// The rows of one received date (at most CfpbImportOptions::batch), read
// again and made into commands by the reading thread.
struct Batch {
  TimeMs at = 0;
  std::vector<ParsedCommand> commands;
  std::vector<const RowRef*> refs;                                // of each command
  std::vector<std::pair<const RowRef*, std::string>> unreadable;  // row, reason
  size_t rows = 0;
};

// A bounded queue of batches between the reading thread and the submitting
// one.
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}
  // False when the consumer has stopped.
  bool Push(Batch b) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return q_.size() < capacity_ || stopped_; });
    if (stopped_) return false;
    q_.push_back(std::move(b));
    cv_.notify_all();
    return true;
  }
  // std::nullopt once the producer is done and the queue is empty.
  std::optional<Batch> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !q_.empty() || done_; });
    if (q_.empty()) return std::nullopt;
    Batch b = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return b;
  }
  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> q_;
  size_t capacity_;
  bool done_ = false;
  bool stopped_ = false;
};

// The command ids of a row: its Complaint ID, or (none in the source) its
// content and its rank among identical rows, so exact duplicates stay
// separate complaints.
void SetIds(PendingRow& p, uint32_t rank) {
  const std::string& id = p.row[C::kComplaintId];
  if (!id.empty()) {
    p.command_id = "cfpb/" + id;
    p.case_id = "cfpb-" + id;
  } else {
    const std::string h = ContentHash(p.row);
    p.command_id = fmt::format("cfpb/row/{}/{}", h, rank);
    p.case_id = fmt::format("cfpb-{}-{}", h, rank);
  }
}

// Reads one indexed row again and makes its command.
Result<ParsedCommand> CommandOf(const RowRef& ref, const InputFile& file,
                                const std::vector<CfpbColumn>& columns, const CommandCodec& codec,
                                std::string& buffer) {
  buffer.resize(ref.length);
  size_t got = 0;
  while (got < ref.length) {
    const ssize_t n = ::pread(file.fd, buffer.data() + got, ref.length - got,
                              static_cast<off_t>(ref.offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Status::IoError(
          fmt::format("cannot read the row again ({})",
                      n < 0 ? std::strerror(errno) : "the file is shorter than it was"));
    }
    got += static_cast<size_t>(n);
  }
  CsvReader reader(buffer, CsvReader::kMaxRecordBytes, ref.line);
  auto rec = reader.Next();
  if (!rec.ok())
    return Status::IoError("the row changed since it was read: " + ReasonOf(rec.status()));
  if (!rec.value()) return Status::IoError("the row changed since it was read: it is gone");
  PendingRow p;
  LEDGER_ASSIGN_OR_RETURN(p.row, CfpbRowFrom(*rec.value(), columns));
  p.row.file = ref.file;
  if (p.row.received != ref.received)
    return Status::IoError("the row changed since it was read: its date");
  SetIds(p, ref.rank);
  return codec.ParseBody(fb::Command::ImportCfpbComplaint, CommandBody(p, file.read.name),
                         p.command_id, fb::Role::operator_, kActor);
}

}  // namespace

// Two passes over the files, so memory stays flat however many rows:
//  1. each file is read front to back: every record is checked as before
//     (rejections come from here) and only its date and place are kept;
//  2. the places are sorted by (date received, file, offset) and a reading
//     thread reads the rows again in that order, makes their commands and
//     hands them, a date (or `batch` rows) at a time, to this thread, which
//     submits them: one durable append per batch.
Result<nlohmann::json> ImportCfpb(Ledger& ledger, ManualClock& clock,
                                  const CfpbImportOptions& options) {
  if (ledger.policy().name != "cfpb") {
    return Status::InvalidArgument(fmt::format(
        "import cfpb: this ledger runs under policy '{}'; CFPB complaints are judged under 'cfpb' "
        "(use a new data directory with --policy cfpb)",
        ledger.policy().name));
  }
  nlohmann::json rejected = nlohmann::json::array();
  auto reject = [&](const std::string& file, uint64_t line, const std::string& why) {
    rejected.push_back({{"file", file}, {"line", line}, {"reason", why}});
  };
  std::vector<InputFile> files;
  std::vector<std::vector<CfpbColumn>> layouts(options.files.size());
  std::vector<RowRef> refs;
  std::unordered_map<std::string, uint32_t>
      identical;  // content hash -> rows seen (rows without an id)
  uint64_t rows = 0, possible_duplicates = 0, file_errors = 0;
  TimeMs latest = 0;
  constexpr uint64_t kReleaseEvery = 64ull << 20;
  for (uint32_t fi = 0; fi < options.files.size(); ++fi) {
    const std::string& path = options.files[fi];
    files.emplace_back();
    InputFile& in = files.back();
    in.read.name = fs::path(path).filename().string();
    in.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (in.fd < 0 || ::fstat(in.fd, &st) != 0) {
      reject(in.read.name, 0, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
      ++file_errors;
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      reject(in.read.name, 0,
             fmt::format("{} is not a regular file (the import reads each file twice: once "
                         "to sort its rows by date, once to submit them)",
                         path));
      ++file_errors;
      continue;
    }
    in.size = static_cast<uint64_t>(st.st_size);
    in.mtime = st.st_mtim;
    auto mapped = MappedFile::Map(in.fd, in.size, path);
    if (!mapped.ok()) {
      reject(in.read.name, 0, mapped.status().message());
      ++file_errors;
      continue;
    }
    std::unique_ptr<MappedFile> map = std::move(mapped).value();
    CsvReader reader(map->text());
    std::optional<std::vector<CfpbColumn>> columns;
    for (int i = 0; i < kHeaderSearchRecords && !columns; ++i) {
      auto rec = reader.Next();
      if (!rec.ok()) continue;
      if (!rec.value()) break;
      columns = RecogniseCfpbHeader(rec.value()->fields);
      if (columns) in.read.header_line = rec.value()->line;
    }
    if (!columns) {
      reject(
          in.read.name, 0,
          fmt::format("no CFPB header in its first {} records (a header names columns such as "
                      "'Date received', 'Company', 'Complaint ID'); nothing of the file was read",
                      kHeaderSearchRecords));
      ++file_errors;
      continue;
    }
    layouts[fi] = *columns;
    uint64_t next_release = kReleaseEvery;
    while (true) {
      const uint64_t offset = reader.offset();
      const uint64_t line = reader.line();
      if (offset >= next_release) {
        map->Release(offset);
        next_release = offset + kReleaseEvery;
      }
      auto rec = reader.Next();
      if (!rec.ok()) {
        ++rows;
        ++in.read.rows;
        reject(in.read.name, reader.error_line(), ReasonOf(rec.status()));
        continue;
      }
      if (!rec.value()) break;
      ++rows;
      ++in.read.rows;
      auto row = CfpbRowFrom(*rec.value(), *columns);
      if (!row.ok()) {
        reject(in.read.name, rec.value()->line, row.status().message());
        continue;
      }
      const CfpbRow& r = row.value();
      latest = std::max({latest, r.received, r.sent});
      RowRef ref;
      ref.received = r.received;
      ref.offset = offset;
      ref.line = line;
      ref.length = static_cast<uint32_t>(reader.offset() - offset);
      ref.file = fi;
      if (r[C::kComplaintId].empty()) {
        ref.rank = identical[ContentHash(r)]++;
        if (ref.rank > 0) ++possible_duplicates;
      }
      refs.push_back(ref);
    }
  }
  identical = {};

  // (received, file, offset) is unique: a total order.
  std::sort(refs.begin(), refs.end(), [](const RowRef& a, const RowRef& b) {
    return std::tie(a.received, a.file, a.offset) < std::tie(b.received, b.file, b.offset);
  });
  for (InputFile& in : files) {
    struct stat st {};
    if (in.fd >= 0 && in.size > 0 &&
        (::fstat(in.fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != in.size ||
         st.st_mtim.tv_sec != in.mtime.tv_sec || st.st_mtim.tv_nsec != in.mtime.tv_nsec)) {
      return Status::IoError(fmt::format(
          "import cfpb: {} changed while it was being read; nothing was written", in.read.name));
    }
  }

  // The reading thread: rows again, in date order, as commands.
  const CommandCodec& codec = ledger.codec();
  const size_t batch_rows = std::max<size_t>(1, options.batch);
  BatchQueue queue(4);
  std::thread reader_thread([&] {
    std::string buffer;
    for (size_t i = 0; i < refs.size();) {
      Batch b;
      b.at = refs[i].received;
      size_t j = i;
      for (; j < refs.size() && refs[j].received == b.at && j - i < batch_rows; ++j) {
        const RowRef& ref = refs[j];
        auto cmd = CommandOf(ref, files[ref.file], layouts[ref.file], codec, buffer);
        if (cmd.ok()) {
          b.commands.push_back(std::move(cmd).value());
          b.refs.push_back(&ref);
        } else {
          b.unreadable.emplace_back(&ref, cmd.status().message());
        }
      }
      b.rows = j - i;
      i = j;
      if (!queue.Push(std::move(b))) break;
    }
    queue.Done();
  });
  struct Joiner {
    BatchQueue& q;
    std::thread& t;
    ~Joiner() {
      q.Stop();
      t.join();
    }
  } joiner{queue, reader_thread};

  uint64_t already = 0, imported = 0;
  LEDGER_ASSIGN_OR_RETURN(TimeMs ledger_time, ledger.LedgerTime());
  const uint64_t total = refs.size();
  uint64_t done = 0;
  while (auto batch = queue.Pop()) {
    for (const auto& [ref, why] : batch->unreadable)
      reject(files[ref->file].read.name, ref->line, why);
    if (!batch->commands.empty() && batch->at < ledger_time) {
      // Into the ledger's past: only rows imported before are acceptable
      // (counted, not written again).
      for (size_t k = 0; k < batch->commands.size(); ++k) {
        const auto* env = batch->commands[k].envelope();
        LEDGER_ASSIGN_OR_RETURN(bool known, ledger.KnowsCommand(env->id()->str()));
        if (known) {
          ++already;
          continue;
        }
        const auto* x = env->command_as_ImportCfpbComplaint();
        reject(files[batch->refs[k]->file].read.name, x->source_line(),
               fmt::format("received {} is before the ledger's latest event ({}): the ledger does "
                           "not write into its "
                           "past; import the files of a period together, oldest period first",
                           FormatDate(batch->at), FormatTime(ledger_time)));
      }
    } else if (!batch->commands.empty()) {
      clock.Set(batch->at);
      auto outcomes = ledger.Submit(batch->commands);
      for (size_t k = 0; k < outcomes.size(); ++k) {
        if (!outcomes[k].status.ok()) {
          const auto* x = batch->commands[k].envelope()->command_as_ImportCfpbComplaint();
          reject(files[batch->refs[k]->file].read.name, x->source_line(),
                 outcomes[k].status.message());
        } else if (outcomes[k].result.value("replayed", false)) {
          ++already;
        } else {
          ++imported;
        }
      }
      LEDGER_ASSIGN_OR_RETURN(ledger_time, ledger.LedgerTime());
    }
    done += batch->rows;
    if (options.progress) options.progress(done, total);
  }

  LEDGER_ASSIGN_OR_RETURN(ledger_time, ledger.LedgerTime());
  nlohmann::json summary;
  const TimeMs as_of = options.as_of ? *options.as_of : (latest > 0 ? latest + kDayMs : 0);
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
  for (const auto& f : files) {
    fl.push_back(
        {{"file", f.read.name}, {"rows", f.read.rows}, {"header_line", f.read.header_line}});
  }
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
        LEDGER_ASSIGN_OR_RETURN(const fb::Event* e,
                                DecodeEvent(rec.bytes, rec.partition, rec.offset));
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
    return std::tie(a.received, a.source_file, a.line) <
           std::tie(b.received, b.source_file, b.line);
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
