#include "engine/event_subject.h"

namespace ledger {

std::string_view PayloadName(const fb::Event& e) { return fb::EnumNamePayload(e.payload_type()); }

namespace {
template <typename T>
std::string_view CaseField(const T* t) {
  if constexpr (requires { t->case_id(); }) {
    return t && t->case_id() ? t->case_id()->string_view() : std::string_view();
  } else {
    return {};
  }
}
}  // namespace

std::string_view CaseIdOf(const fb::Event& e) {
  switch (e.payload_type()) {
#define LEDGER_CASE(T) \
  case fb::Payload::T: \
    return CaseField(e.payload_as_##T());
    LEDGER_CASE(ViolationRecorded)
    LEDGER_CASE(ComplaintFiled)
    LEDGER_CASE(TransactionVerified)
    LEDGER_CASE(TransactionRejected)
    LEDGER_CASE(ComplaintRouted)
    LEDGER_CASE(MerchantResponded)
    LEDGER_CASE(ConsumerReplied)
    LEDGER_CASE(ResponseDeadlineMissed)
    LEDGER_CASE(ComplaintUnanswered)
    LEDGER_CASE(NegotiationDeclaredSufficient)
    LEDGER_CASE(ConsumerAccepted)
    LEDGER_CASE(EscalatedToMediation)
    LEDGER_CASE(EscalatedToArbitration)
    LEDGER_CASE(DefenceFiled)
    LEDGER_CASE(DefenceDeadlineMissed)
    LEDGER_CASE(VerdictIssued)
    LEDGER_CASE(RemedyCarriedOut)
    LEDGER_CASE(RemedyDeadlineMissed)
    LEDGER_CASE(ComplaintUnresolved)
    LEDGER_CASE(CaseClosed)
    LEDGER_CASE(CaseWithdrawn)
    LEDGER_CASE(ConsumerRated)
    LEDGER_CASE(DelayDecayed)
    LEDGER_CASE(UnansweredDecayed)
    LEDGER_CASE(CfpbComplaintFiled)
    LEDGER_CASE(CfpbStatusPublished)
#undef LEDGER_CASE
    default:
      return {};
  }
}

std::string EventIdFor(std::string_view command_id, size_t index) {
  return std::string(command_id) + "/" + std::to_string(index);
}

bool OpensCommand(std::string_view event_id) {
  const size_t slash = event_id.rfind('/');
  return slash != std::string_view::npos && event_id.substr(slash + 1) == "0";
}

}  // namespace ledger
