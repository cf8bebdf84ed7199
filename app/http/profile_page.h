// The public merchant profile as an HTML page, in Persian (right to left)
// or English: the indicators, the star level and status, and a 12-month bar
// chart (inline SVG) of complaints, delays and resolutions. Every number is
// also in a data-value attribute, so machines read what people see.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace ledger {

// `profile` is MerchantJson; `months` is MerchantMonths (oldest first).
// REQUIRES: lang is "fa" or "en".
std::string RenderProfilePage(const nlohmann::json& profile, const nlohmann::json& months,
                              const std::string& lang);

// Digits 0-9 as Persian digits (۰-۹); other characters unchanged.
std::string PersianDigits(const std::string& s);

}  // namespace ledger
