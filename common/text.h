// UTF-8 checks for text that ends up in JSON (nlohmann's serializer throws
// on anything else) and in FlatBuffers strings.
#pragma once

#include <cstddef>
#include <string_view>

namespace ledger {

// Length of the well-formed UTF-8 sequence starting at s[i] (1 to 4), or 0
// when it is not one: a stray or missing continuation byte, an overlong
// form, a surrogate, or a code point above U+10FFFF.
size_t Utf8SequenceLength(std::string_view s, size_t i);

// Every byte of `s` belongs to a well-formed UTF-8 sequence.
bool IsUtf8(std::string_view s);

}  // namespace ledger
