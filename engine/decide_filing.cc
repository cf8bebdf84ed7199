// Filing a complaint, the centre's answer on its transaction (verified or
// rejected), and the routing that accepts it: the authority it goes to and
// the merchant's first deadline.
#include <memory>

#include <fmt/format.h>
#include <sodium.h>

#include "engine/decide_internal.h"
#include "engine/personal_data.h"

namespace ledger {

namespace decide_internal {

namespace {

// A consumer files for itself; the operator for anyone; nobody else files.
Status AuthorizeFiling(const fb::CommandEnvelope& cmd, const fb::FileComplaint& f) {
  if (cmd.actor()->role() == fb::Role::consumer && Str(cmd.actor()->id()) != Str(f.consumer_id())) {
    return Status::PermissionDenied(fmt::format("consumer {} may not file for consumer {}",
                                                Str(cmd.actor()->id()), Str(f.consumer_id())));
  }
  if (cmd.actor()->role() != fb::Role::consumer && cmd.actor()->role() != fb::Role::operator_) {
    return Status::PermissionDenied(
        fmt::format("a {} may not FileComplaint", RoleName(cmd.actor()->role())));
  }
  return Status::Ok();
}

// Complaints are taken only against registered, unsuspended merchants, and
// once per case id.
Status CheckFilingTarget(const std::string& merchant_id, const std::string& case_id,
                         const DecideContext& ctx) {
  if (ctx.merchant == nullptr) {
    return Status::NotFound(fmt::format(
        "FileComplaint: merchant {} is not registered (only holders of the trust symbol)",
        merchant_id));
  }
  if (ctx.merchant->status == fb::MerchantStatus::suspended) {
    return Status::Rejected(fmt::format("FileComplaint: merchant {} is suspended", merchant_id));
  }
  if (ctx.case_state != nullptr) {
    return Status::Conflict(fmt::format("FileComplaint: case {} already exists", case_id));
  }
  return Status::Ok();
}

// The complaint's own fields, before its dates.
Status CheckComplaintFields(const fb::FileComplaint& f) {
  if (!f.amount().has_value())
    return Status::InvalidArgument("FileComplaint: 'amount' is required");
  if (*f.amount() <= 0) {
    return Status::InvalidArgument(
        fmt::format("FileComplaint: amount must be positive, got {}", *f.amount()));
  }
  if (!f.category().has_value()) {
    return Status::InvalidArgument("FileComplaint: 'category' is required");
  }
  if (f.payment_method() == fb::PaymentMethod::cash) {
    return Status::Rejected(
        "FileComplaint: cash purchases cannot be filed: payment must have gone through the card "
        "gateway");
  }
  if (Str(f.invoice_number()).empty() && Str(f.tracking_code()).empty()) {
    return Status::InvalidArgument(
        "FileComplaint: an 'invoice_number' or a purchase 'tracking_code' is required");
  }
  for (const auto* field : {f.reference_number(), f.terminal(), f.consumer_id(), f.merchant_id()}) {
    if (Str(field).empty()) {
      return Status::InvalidArgument(
          "FileComplaint: merchant_id, consumer_id, reference_number "
          "and terminal must not be empty");
    }
  }
  return ValidatePersonalData(Str(f.consumer_name()), Str(f.consumer_phone()));
}

std::unique_ptr<fb::TransactionT> TransactionOf(const fb::FileComplaint& f, TimeMs purchase_date) {
  auto t = std::make_unique<fb::TransactionT>();
  t->reference_number = Str(f.reference_number());
  t->terminal = Str(f.terminal());
  t->purchase_date_ms = purchase_date;
  t->amount = *f.amount();
  t->invoice_number = Str(f.invoice_number());
  t->tracking_code = Str(f.tracking_code());
  t->payment_method = f.payment_method();
  return t;
}

// REQUIRES: CheckComplaintFields(f) is ok and ctx.merchant is set.
fb::ComplaintFiledT ComplaintFiled(const fb::FileComplaint& f, const std::string& case_id,
                                   TimeMs purchase_date, const DecideContext& ctx) {
  fb::ComplaintFiledT e;
  e.case_id = case_id;
  e.merchant_id = Str(f.merchant_id());
  e.consumer_id = Str(f.consumer_id());
  e.transaction = TransactionOf(f, purchase_date);
  e.category = *f.category();
  e.channel = f.channel();
  e.description = Str(f.description());
  if (f.document_hashes()) {
    for (const auto* h : *f.document_hashes()) e.document_hashes.push_back(h->str());
  }
  e.region = Str(f.region()).empty() ? ctx.merchant->region : Str(f.region());
  e.tracking_code = TrackingCodeFor(case_id);
  return e;
}

// Acceptance: the authority of the routing table, and the first window of
// the answer ladder from now.
fb::ComplaintRoutedT Routed(const CaseState& c, const MerchantState& m, const DecideContext& ctx) {
  const Route route = ctx.policy.RouteFor(c.category, m.sector, c.region);
  fb::ComplaintRoutedT r;
  r.case_id = c.case_id;
  r.authority = route.authority;
  r.violation = route.violation;
  r.response_due_at_ms = ctx.now + ctx.policy.response_windows[0];
  r.closure_due_at_ms = ctx.policy.closure_window > 0 ? ctx.now + ctx.policy.closure_window : 0;
  return r;
}

// Only the operator records the central bank's answer, and only once.
Status MayAnswerVerification(const fb::CommandEnvelope& cmd, const CaseState& c) {
  LEDGER_RETURN_IF_ERROR(Authorize(cmd, c, {}));
  if (c.status != S::awaiting_verification) {
    return Refuse(c, CommandName(cmd.command_type()), "the transaction was already verified");
  }
  return Status::Ok();
}

}  // namespace

Decision DecideFile(const fb::CommandEnvelope& cmd, const std::string& case_id,
                    const DecideContext& ctx) {
  const auto* f = cmd.command_as_FileComplaint();
  LEDGER_RETURN_IF_ERROR(AuthorizeFiling(cmd, *f));
  LEDGER_RETURN_IF_ERROR(CheckFilingTarget(Str(f->merchant_id()), case_id, ctx));
  LEDGER_RETURN_IF_ERROR(CheckComplaintFields(*f));
  auto date = ParseTime(Str(f->purchase_date()));
  if (!date.ok()) {
    return Status::InvalidArgument("FileComplaint: purchase_date: " + date.status().message());
  }
  if (*date > ctx.now) {
    return Status::InvalidArgument(
        fmt::format("FileComplaint: purchase_date {} is in the future", Str(f->purchase_date())));
  }
  if (ctx.transaction_taken) {
    return Status::Conflict(fmt::format(
        "FileComplaint: transaction {} (terminal {}, {}, amount {}) already has complaint {}",
        Str(f->reference_number()), Str(f->terminal()), Str(f->purchase_date()), *f->amount(),
        ctx.taken_by));
  }
  std::vector<Draft> out;
  out.push_back(Ev(ComplaintFiled(*f, case_id, *date, ctx)));
  return out;
}

Decision DecideVerifyTransaction(const fb::CommandEnvelope& cmd, const CaseState& c,
                                 const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(MayAnswerVerification(cmd, c));
  std::vector<Draft> out;
  fb::TransactionVerifiedT v;
  v.case_id = c.case_id;
  out.push_back(Ev(std::move(v)));
  out.push_back(Ev(Routed(c, *ctx.merchant, ctx)));
  return out;
}

Decision DecideRejectTransaction(const fb::CommandEnvelope& cmd, const CaseState& c) {
  LEDGER_RETURN_IF_ERROR(MayAnswerVerification(cmd, c));
  fb::TransactionRejectedT e;
  e.case_id = c.case_id;
  e.reason = Str(cmd.command_as_RejectTransaction()->reason());
  std::vector<Draft> out;
  out.push_back(Ev(std::move(e)));
  return out;
}

}  // namespace decide_internal

std::string TrackingCodeFor(std::string_view case_id) {
  // Crockford's base32 (no I, L, O, U): read aloud and typed without confusion.
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  uint8_t h[8];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(case_id.data()),
                     case_id.size(), nullptr, 0);
  uint64_t bits = 0;
  for (uint8_t b : h) bits = (bits << 8) | b;
  std::string code;
  for (int i = 0; i < 10; ++i) {
    if (i == 5) code.push_back('-');
    code.push_back(kAlphabet[bits & 31]);
    bits >>= 5;
  }
  return code;
}

}  // namespace ledger
