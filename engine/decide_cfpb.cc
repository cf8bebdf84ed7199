// Importing the CFPB's published complaints (ImportCfpbComplaint): each row
// becomes the events that tell its story as the CFPB published it.
#include <fmt/format.h>

#include "engine/decide_internal.h"

namespace ledger::decide_internal {

namespace {

// Only the operator imports, each case once, and no row from the future.
Status CheckCfpbImport(const fb::CommandEnvelope& cmd, const DecideContext& ctx) {
  const auto* r = cmd.command_as_ImportCfpbComplaint();
  const std::string case_id = Str(r->case_id());
  if (cmd.actor()->role() != fb::Role::operator_) {
    return Status::PermissionDenied("ImportCfpbComplaint: only the operator imports");
  }
  if (ctx.case_state != nullptr) {
    return Status::Conflict(
        fmt::format("ImportCfpbComplaint: case {} was already imported", case_id));
  }
  if (case_id.empty() || Str(r->merchant_id()).empty() || Str(r->company()).empty()) {
    return Status::InvalidArgument(
        "ImportCfpbComplaint: case_id, merchant_id and company must not be empty");
  }
  return Status::Ok();
}

struct CfpbDates {
  TimeMs received = 0;
  TimeMs sent = 0;  // 0 when the source gives none
};

Result<CfpbDates> ParseCfpbDates(const fb::ImportCfpbComplaint& r, TimeMs now) {
  CfpbDates d;
  auto received = ParseTime(Str(r.date_received()));
  if (!received.ok())
    return Status::InvalidArgument("ImportCfpbComplaint: date_received: " +
                                   received.status().message());
  d.received = *received;
  if (!Str(r.date_sent()).empty()) {
    auto t = ParseTime(Str(r.date_sent()));
    if (!t.ok())
      return Status::InvalidArgument("ImportCfpbComplaint: date_sent: " + t.status().message());
    d.sent = *t;
  }
  if (d.received > now) {
    return Status::InvalidArgument(fmt::format("ImportCfpbComplaint: received {} is after now ({})",
                                               FormatDate(d.received), FormatTime(now)));
  }
  return d;
}

fb::CfpbComplaintFiledT CfpbFiled(const fb::ImportCfpbComplaint& r, const CfpbDates& d) {
  fb::CfpbComplaintFiledT f;
  f.case_id = Str(r.case_id());
  f.merchant_id = Str(r.merchant_id());
  f.company = Str(r.company());
  f.received_at_ms = d.received;
  f.sent_at_ms = d.sent;
  f.product = Str(r.product());
  f.sub_product = Str(r.sub_product());
  f.issue = Str(r.issue());
  f.sub_issue = Str(r.sub_issue());
  f.narrative = Str(r.narrative());
  f.state = Str(r.state());
  f.zip_code = Str(r.zip_code());
  f.tags = Str(r.tags());
  f.consumer_consent = Str(r.consumer_consent());
  f.submitted_via = Str(r.submitted_via());
  f.complaint_id = Str(r.complaint_id());
  f.source_file = Str(r.source_file());
  f.source_line = r.source_line();
  return f;
}

// Sent to the company: its deadlines run from the date sent (the date
// received when the source gives none).
fb::ComplaintRoutedT CfpbRouted(const fb::ImportCfpbComplaint& r, const CfpbDates& d,
                                const Policy& policy) {
  const TimeMs base = d.sent > 0 ? d.sent : d.received;
  const Route route = policy.RouteFor(fb::Category::other, "", Str(r.state()));
  fb::ComplaintRoutedT routed;
  routed.case_id = Str(r.case_id());
  routed.authority = route.authority;
  routed.violation = false;
  routed.response_due_at_ms =
      base + (policy.response_windows.empty() ? 0 : policy.response_windows[0]);
  routed.closure_due_at_ms = policy.closure_window > 0 ? base + policy.closure_window : 0;
  return routed;
}

// The status the CFPB published; a company response other than "In progress"
// closes the case.
fb::CfpbStatusPublishedT CfpbStatus(const fb::ImportCfpbComplaint& r) {
  fb::CfpbStatusPublishedT st;
  st.case_id = Str(r.case_id());
  st.company_response = Str(r.company_response());
  st.company_public_response = Str(r.company_public_response());
  st.timely_response = Str(r.timely_response());
  st.consumer_disputed = Str(r.consumer_disputed());
  st.closes = !st.company_response.empty() && st.company_response != "In progress";
  return st;
}

}  // namespace

// One published CFPB complaint: the company registered (first time it is
// named), the complaint as published, sent to the company (routed, with the
// policy's deadlines counted from the date sent), and the status the CFPB
// published. Nothing is recomputed from the source's flags.
Decision DecideCfpbImport(const fb::CommandEnvelope& cmd, const DecideContext& ctx) {
  LEDGER_RETURN_IF_ERROR(CheckCfpbImport(cmd, ctx));
  const auto* r = cmd.command_as_ImportCfpbComplaint();
  LEDGER_ASSIGN_OR_RETURN(const CfpbDates dates, ParseCfpbDates(*r, ctx.now));
  std::vector<Draft> out;
  if (ctx.merchant == nullptr) {
    fb::MerchantRegisteredT m;  // the source gives no licence date or domain: left empty
    m.merchant_id = Str(r->merchant_id());
    m.name = Str(r->company());
    out.push_back(Ev(std::move(m), true));
  }
  out.push_back(Ev(CfpbFiled(*r, dates)));
  out.push_back(Ev(CfpbRouted(*r, dates, ctx.policy)));
  out.push_back(Ev(CfpbStatus(*r)));
  return out;
}

}  // namespace ledger::decide_internal
