// Layer common/: the vocabulary under everything (Status and Result, time and
// the Clock, hex, big-endian coding, UTF-8, CSV, schema JSON). It includes
// nothing of the project; it must never know of cases, merchants, logs or
// views.
//
// Errors as values. A `Status` names what went wrong; `Result<T>` carries a
// value or a Status. Neither throws.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ledger {

enum class Code {
  kOk = 0,
  kInvalidArgument,   // malformed or out-of-range input
  kNotFound,          // unknown case, merchant or record
  kRejected,          // a domain rule refuses the command
  kConflict,          // duplicate transaction, reused command id, stale clock
  kPermissionDenied,  // the actor may not do this
  kCorruption,        // a record fails its checksum or chain
  kIoError,           // storage or broker failure
  kUnavailable,       // a dependency is gone for now (broker down)
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Rejected(std::string m) { return {Code::kRejected, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<code>: <message>", or "ok".
  std::string ToString() const;

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  // By value, so `for (auto& x : F().value())` owns what it iterates.
  T value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ledger

#define LEDGER_RETURN_IF_ERROR(expr) \
  do {                               \
    ::ledger::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)

#define LEDGER_CONCAT_INNER(a, b) a##b
#define LEDGER_CONCAT(a, b) LEDGER_CONCAT_INNER(a, b)
#define LEDGER_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
#define LEDGER_ASSIGN_OR_RETURN(lhs, expr) \
  LEDGER_ASSIGN_OR_RETURN_IMPL(LEDGER_CONCAT(_res_, __LINE__), lhs, expr)
