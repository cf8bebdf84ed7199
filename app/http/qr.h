// QR codes (libqrencode) of a text, as SVG, for tracking links.
#pragma once

#include <string>

#include "common/status.h"

namespace ledger {

// An SVG image (black modules on white, 4-module quiet zone, error
// correction M) encoding `text`.
Result<std::string> QrSvg(const std::string& text);
// The same as a data: URI ("data:image/svg+xml;base64,...").
Result<std::string> QrSvgDataUri(const std::string& text);

}  // namespace ledger
