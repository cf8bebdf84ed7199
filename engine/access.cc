#include "engine/access.h"

#include "engine/decide.h"

namespace ledger {

bool MayReadCase(fb::Role role, std::string_view id, const CaseState& c) {
  return role == fb::Role::operator_ || IsPartyTo(role, id, c);
}

bool MayReadEvent(fb::Role role, std::string_view id, const fb::Event& e, const CaseState* about) {
  if (role == fb::Role::operator_) return true;
  if (role == fb::Role::merchant)
    return e.partition_key() && e.partition_key()->string_view() == id;
  return about != nullptr && IsPartyTo(role, id, *about);
}

const std::vector<fb::Role>& RolesThatMayRead(Overview what) {
  static const std::vector<fb::Role> kCentreAndAuthorities = {fb::Role::operator_,
                                                              fb::Role::authority};
  static const std::vector<fb::Role> kCentre = {fb::Role::operator_};
  switch (what) {
    case Overview::kRankings:
    case Overview::kAnalytics:
      return kCentreAndAuthorities;
    case Overview::kMetrics:
      return kCentre;
  }
  return kCentre;
}

}  // namespace ledger
