#include "projections/views.h"

#include <fmt/format.h>

namespace ledger {

namespace {
template <typename T>
std::string Pack(const T& obj) {
  flatbuffers::FlatBufferBuilder fbb(256);
  fbb.Finish(T::TableType::Pack(fbb, &obj));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

template <typename Table, typename T>
Result<std::unique_ptr<T>> Unpack(std::string_view bytes, const char* what) {
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!v.VerifyBuffer<Table>(nullptr)) {
    return Status::Corruption(fmt::format("stored {} fails verification", what));
  }
  return std::unique_ptr<T>(flatbuffers::GetRoot<Table>(bytes.data())->UnPack());
}

nlohmann::json TimeOrNull(TimeMs t) {
  return t > 0 ? nlohmann::json(FormatTime(t)) : nlohmann::json();
}
}  // namespace

std::string EncodeCaseState(const CaseState& c) { return Pack(c); }
std::string EncodeMerchantState(const MerchantState& m) { return Pack(m); }

Result<std::unique_ptr<CaseState>> DecodeCaseState(std::string_view bytes) {
  return Unpack<fb::CaseState, CaseState>(bytes, "case state");
}
Result<std::unique_ptr<MerchantState>> DecodeMerchantState(std::string_view bytes) {
  return Unpack<fb::MerchantState, MerchantState>(bytes, "merchant state");
}

nlohmann::json CaseJson(const CaseState& c) {
  nlohmann::json j;
  j["case_id"] = c.case_id;
  j["merchant_id"] = c.merchant_id;
  j["consumer_id"] = c.consumer_id;
  j["status"] = fb::EnumNameCaseStatus(c.status);
  j["category"] = fb::EnumNameCategory(c.category);
  j["channel"] = fb::EnumNameChannel(c.channel);
  j["region"] = c.region;
  j["authority"] = c.authority;
  j["violation"] = c.violation;
  j["filed_at"] = TimeOrNull(c.filed_at_ms);
  j["accepted_at"] = TimeOrNull(c.accepted_at_ms);
  if (c.transaction) {
    j["transaction"] = {{"reference_number", c.transaction->reference_number},
                        {"terminal", c.transaction->terminal},
                        {"purchase_date", FormatDate(c.transaction->purchase_date_ms)},
                        {"amount", c.transaction->amount},
                        {"invoice_number", c.transaction->invoice_number},
                        {"tracking_code", c.transaction->tracking_code}};
  }
  j["response_window"] = c.response_window;
  j["deadline"] = TimeOrNull(c.deadline_ms);
  j["closure_due"] = TimeOrNull(c.closure_due_ms);
  j["delays"] = c.delays;
  j["unanswered"] = c.unanswered;
  j["unanswered_decays_at"] = TimeOrNull(c.unanswered_decays_at_ms);
  j["unresolved"] = c.unresolved;
  j["first_response_at"] = TimeOrNull(c.first_response_ms);
  if (c.escalated) {
    j["forum"] = fb::EnumNameForum(c.forum);
    if (c.forum == fb::Forum::arbitration) {
      j["fee_rate_percent"] = c.fee_rate_bp / 100.0;
      j["fee_amount"] = c.fee_amount;
      j["fee_payer"] = fb::EnumNameParty(c.fee_payer);
      j["defence_filed"] = c.defence_filed;
    }
  }
  if (c.remedy != fb::Remedy::none || c.status == fb::CaseStatus::closed) {
    j["verdict_for"] = c.remedy_amount > 0 || c.remedy != fb::Remedy::none
                           ? nlohmann::json(fb::EnumNameParty(c.verdict_for))
                           : nlohmann::json();
    j["remedy"] = fb::EnumNameRemedy(c.remedy);
    j["remedy_amount"] = c.remedy_amount;
  }
  if (c.status == fb::CaseStatus::closed)
    j["close_reason"] = fb::EnumNameCloseReason(c.close_reason);
  j["closed_at"] = TimeOrNull(c.closed_at_ms);
  j["rating"] = c.rating ? nlohmann::json(c.rating) : nlohmann::json();
  j["version"] = c.version;
  return j;
}

nlohmann::json MerchantJson(const MerchantState& m, TimeMs as_of) {
  nlohmann::json j;
  j["merchant_id"] = m.merchant_id;
  j["name"] = m.name;
  j["domains"] = m.domains;
  j["star_level"] = fb::EnumNameStarLevel(m.star_level);
  j["status"] = fb::EnumNameMerchantStatus(m.status);
  j["unanswered"] = m.unanswered;
  j["unresolved"] = m.unresolved;
  j["delays"] = m.delays_active;
  j["violations"] = {
      {"level1", m.violations_l1}, {"level2", m.violations_l2}, {"level3", m.violations_l3}};
  j["licence_date"] = FormatDate(m.licence_date_ms);
  j["days_since_licence"] = as_of > m.licence_date_ms ? (as_of - m.licence_date_ms) / kDayMs : 0;
  j["complaints"] = m.complaints;
  j["open_complaints"] = m.open_cases;
  j["awaiting_answer"] = m.owing;
  j["resolved"] = m.resolved;
  j["delays_total"] = m.delays_total;
  j["sector"] = m.sector;
  j["region"] = m.region;
  if (m.status == fb::MerchantStatus::suspended) {
    j["suspended_at"] = TimeOrNull(m.suspended_at_ms);
    j["reinstatement_due_at"] = TimeOrNull(m.reinstatement_due_at_ms);
  }
  j["as_of"] = FormatTime(as_of);
  return j;
}

}  // namespace ledger
