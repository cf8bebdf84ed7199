// What an event is about, read from its payload: the case it names and the
// name of its type. Pure.
#pragma once

#include <string_view>

#include "events_generated.h"

namespace ledger {

// The case id an event names; "" for none (a merchant-only event).
std::string_view CaseIdOf(const fb::Event& e);
// The payload type's name as the schema spells it ("ComplaintFiled").
std::string_view PayloadName(const fb::Event& e);

}  // namespace ledger
