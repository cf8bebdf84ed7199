#include "app/http/profile_page.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace ledger {

namespace {

struct Words {
  const char* title;
  const char* star_level;
  const char* status;
  const char* unanswered;
  const char* unresolved;
  const char* delays;
  const char* violations;
  const char* level;
  const char* days_since_licence;
  const char* complaints;
  const char* resolved;
  const char* chart;
  const char* month;
  const char* as_of;
  std::map<std::string, const char*> values;  // enum values
};

const Words& WordsFor(const std::string& lang) {
  static const Words kEn{"Merchant profile",
                         "Star level",
                         "Status",
                         "Unanswered complaints",
                         "Unresolved complaints",
                         "Delays",
                         "Violations",
                         "level",
                         "Days since licence",
                         "Complaints",
                         "Resolved",
                         "The last 12 months",
                         "Month",
                         "As of",
                         {{"none", "new (no stars)"},
                          {"legal", "legal entity"},
                          {"star1", "1 star"},
                          {"star2", "2 stars"},
                          {"star3", "3 stars"},
                          {"star4", "4 stars"},
                          {"star5", "5 stars"},
                          {"active", "active"},
                          {"warned", "warned"},
                          {"suspended", "suspended"}}};
  static const Words kFa{"نمایه کسب‌وکار",
                         "سطح ستاره",
                         "وضعیت",
                         "شکایات بی‌پاسخ",
                         "شکایات حل‌نشده",
                         "تأخیرها",
                         "تخلفات",
                         "سطح",
                         "روزهای پس از صدور نماد",
                         "شکایات",
                         "حل‌شده",
                         "دوازده ماه گذشته",
                         "ماه",
                         "تا تاریخ",
                         {{"none", "جدید (بدون ستاره)"},
                          {"legal", "حقوقی"},
                          {"star1", "یک ستاره"},
                          {"star2", "دو ستاره"},
                          {"star3", "سه ستاره"},
                          {"star4", "چهار ستاره"},
                          {"star5", "پنج ستاره"},
                          {"active", "فعال"},
                          {"warned", "اخطار گرفته"},
                          {"suspended", "تعلیق‌شده"}}};
  return lang == "fa" ? kFa : kEn;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string Str(const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

class Page {
 public:
  Page(const Words& w, bool fa) : w_(w), fa_(fa) {}
  std::string Num(const nlohmann::json& v) const { return fa_ ? PersianDigits(Str(v)) : Str(v); }
  std::string Word(const std::string& v) const {
    auto it = w_.values.find(v);
    return it == w_.values.end() ? Escape(v) : it->second;
  }
  // One indicator row: <tr><th>label</th><td id=... data-value=...>n</td></tr>
  std::string Row(const char* id, const std::string& label, const nlohmann::json& v) const {
    return fmt::format("<tr><th>{}</th><td id=\"{}\" data-value=\"{}\">{}</td></tr>\n", label, id,
                       Escape(Str(v)), Num(v));
  }

 private:
  const Words& w_;
  bool fa_;
};

std::string Chart(const nlohmann::json& months, const Words& w, const Page& page) {
  static const char* kKinds[] = {"complaints", "delays", "resolved"};
  static const char* kColours[] = {"#c0392b", "#e67e22", "#27ae60"};
  int64_t top = 1;
  for (const auto& m : months) {
    for (const char* k : kKinds) top = std::max<int64_t>(top, m[k].get<int64_t>());
  }
  constexpr int kBar = 10, kGroup = 44, kHeight = 160, kLeft = 10, kBase = 180;
  std::string svg = fmt::format(
      "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{}\" "
      "height=\"210\" "
      "viewBox=\"0 0 {} 210\" direction=\"ltr\"><title>{}</title>\n",
      kLeft * 2 + kGroup * months.size(), kLeft * 2 + kGroup * months.size(), w.chart);
  for (size_t i = 0; i < months.size(); ++i) {
    const auto& m = months[i];
    const int x0 = kLeft + static_cast<int>(i) * kGroup;
    for (int k = 0; k < 3; ++k) {
      const int64_t v = m[kKinds[k]].get<int64_t>();
      const int h = static_cast<int>(v * kHeight / top);
      svg += fmt::format(
          "<rect class=\"bar {}\" data-month=\"{}\" data-value=\"{}\" x=\"{}\" y=\"{}\" "
          "width=\"{}\" "
          "height=\"{}\" fill=\"{}\"><title>{} {}</title></rect>\n",
          kKinds[k], Str(m["month"]), v, x0 + k * kBar, kBase - h, kBar - 1, h, kColours[k],
          Str(m["month"]), page.Num(v));
    }
    svg +=
        fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\n",
                    x0 + kBar * 3 / 2, kBase + 14, page.Num(Str(m["month"]).substr(2)));
  }
  svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/></svg>\n",
                     kLeft, kBase, kLeft + kGroup * months.size(), kBase);
  return svg;
}

std::string SeriesTable(const nlohmann::json& months, const Words& w, const Page& page) {
  std::string t = fmt::format(
      "<table "
      "id=\"series\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>\n",
      w.month, w.complaints, w.delays, w.resolved);
  for (const auto& m : months) {
    t += fmt::format("<tr data-month=\"{}\"><td>{}</td>", Str(m["month"]), page.Num(m["month"]));
    for (const char* k : {"complaints", "delays", "resolved"}) {
      t += fmt::format("<td class=\"{}\" data-value=\"{}\">{}</td>", k, Str(m[k]), page.Num(m[k]));
    }
    t += "</tr>\n";
  }
  return t + "</tbody></table>\n";
}

}  // namespace

std::string PersianDigits(const std::string& s) {
  static const char* kDigits[] = {"۰", "۱", "۲", "۳", "۴", "۵", "۶", "۷", "۸", "۹"};
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      out += kDigits[c - '0'];
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string RenderProfilePage(const nlohmann::json& p, const nlohmann::json& months,
                              const std::string& lang) {
  const bool fa = lang == "fa";
  const Words& w = WordsFor(lang);
  const Page page(w, fa);
  std::string h = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\">\n<head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>{} — {}</title>\n<style>body{{font-family:'DejaVu "
      "Sans',sans-serif;margin:2em;max-width:48em}}"
      "table{{border-collapse:collapse;margin:1em 0}}th,td{{border:1px solid #ccc;padding:.3em "
      ".8em;text-align:start}}"
      ".suspended{{color:#c0392b}}.warned{{color:#e67e22}}.active{{color:#27ae60}}"
      ".legend span{{margin-inline-end:1.5em}}</style></head>\n<body>\n",
      lang, fa ? "rtl" : "ltr", Escape(Str(p["name"])), w.title);
  h += fmt::format("<h1 id=\"name\" data-merchant=\"{}\">{}</h1>\n", Escape(Str(p["merchant_id"])),
                   Escape(Str(p["name"])));
  h += fmt::format("<p id=\"domains\">{}</p>\n",
                   Escape(Str(p["domains"].empty() ? nlohmann::json("") : p["domains"][0])));
  h += "<table id=\"indicators\">\n";
  h += fmt::format("<tr><th>{}</th><td id=\"star_level\" data-value=\"{}\">{}</td></tr>\n",
                   w.star_level, Escape(Str(p["star_level"])), page.Word(Str(p["star_level"])));
  h += fmt::format("<tr><th>{}</th><td id=\"status\" class=\"{}\" data-value=\"{}\">{}</td></tr>\n",
                   w.status, Escape(Str(p["status"])), Escape(Str(p["status"])),
                   page.Word(Str(p["status"])));
  h += page.Row("unanswered", w.unanswered, p["unanswered"]);
  h += page.Row("unresolved", w.unresolved, p["unresolved"]);
  h += page.Row("delays", w.delays, p["delays"]);
  for (int l = 1; l <= 3; ++l) {
    const std::string key = fmt::format("level{}", l);
    h += page.Row(("violations_" + key).c_str(),
                  fmt::format("{} — {} {}", w.violations, w.level, page.Num(l)),
                  p["violations"][key]);
  }
  h += page.Row("days_since_licence", w.days_since_licence, p["days_since_licence"]);
  h += "</table>\n";
  h += fmt::format(
      "<h2>{}</h2>\n<p class=\"legend\"><span style=\"color:#c0392b\">■ {}</span>"
      "<span style=\"color:#e67e22\">■ {}</span><span style=\"color:#27ae60\">■ {}</span></p>\n",
      w.chart, w.complaints, w.delays, w.resolved);
  h += Chart(months, w, page);
  h += SeriesTable(months, w, page);
  h += fmt::format(
      "<p id=\"as_of\" data-value=\"{}\">{}: <bdi dir=\"ltr\">{}</bdi></p>\n</body>\n</html>\n",
      Escape(Str(p["as_of"])), w.as_of, page.Num(Str(p["as_of"])));
  return h;
}

}  // namespace ledger
