// What an event is about, read from its payload: the case it names and the
// name of its type. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "events_generated.h"

namespace ledger {

// The case id an event names; "" for none (a merchant-only event).
std::string_view CaseIdOf(const fb::Event& e);
// The payload type's name as the schema spells it ("ComplaintFiled").
std::string_view PayloadName(const fb::Event& e);

// An event's id: "<command id>/<index among the command's events>", so a
// command's events are found and ordered from their ids alone.
std::string EventIdFor(std::string_view command_id, size_t index);
// Whether `event_id` (as EventIdFor made it) is its command's first event.
bool OpensCommand(std::string_view event_id);

}  // namespace ledger
