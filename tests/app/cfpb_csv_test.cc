// The CFPB importer's CSV reader and layout recognition, on small inputs.
#include <catch2/catch.hpp>

#include "app/import/cfpb_csv.h"
#include "common/csv.h"
#include "common/text.h"

namespace ledger {
namespace {

std::vector<std::vector<std::string>> ReadAll(std::string_view text,
                                              std::vector<std::string>* errors = nullptr) {
  CsvReader r(text, 64);
  std::vector<std::vector<std::string>> out;
  while (true) {
    auto rec = r.Next();
    if (!rec.ok()) {
      if (errors) errors->push_back(rec.status().message());
      continue;
    }
    if (!rec.value()) break;
    out.push_back(rec.value()->fields);
  }
  return out;
}

TEST_CASE("Quoted fields keep commas, doubled quotes and line breaks as written", "[cfpb]") {
  auto rows = ReadAll("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\r\nlines\",,x\r\n");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"a", "b,c", "say \"hi\""});
  CHECK(rows[1] == std::vector<std::string>{"two\r\nlines", "", "x"});
}

TEST_CASE("A record starts on the line after the line breaks of the record before", "[cfpb]") {
  CsvReader r("h\n\"1\n2\n3\"\nnext\n");
  CHECK(r.Next().value()->line == 1);
  CHECK(r.Next().value()->line == 2);
  CHECK(r.Next().value()->line == 5);
}

TEST_CASE("Malformed records are errors naming the line; the reader goes on at the next line",
          "[cfpb]") {
  std::vector<std::string> errors;
  auto rows = ReadAll(
      "ok,1\nbad\"quote,2\n\"closed\"x,3\n" + std::string(100, 'y') + "\nok,4\n\"never closed\n",
      &errors);
  REQUIRE(errors.size() == 4);
  CHECK(errors[0] == "line 2: a quote inside unquoted field 1");
  CHECK(errors[1] == "line 3: text after the closing quote of field 1");
  CHECK(errors[2] == "line 4: record longer than 64 bytes");
  CHECK(errors[3].find("line 6: a quoted field opened on line 6 is never closed") == 0);
  CHECK(rows == std::vector<std::vector<std::string>>{{"ok", "1"}, {"ok", "4"}});
}

TEST_CASE("A record read again alone from its offset and line is the same record", "[cfpb]") {
  // What the importer's second pass relies on: offset() and line() before a
  // record, offset() after it, and nothing else.
  const std::string text = "h1,h2\r\n\n\n\"multi\nline\",\"q \"\"x\"\"\"\r\nplain,last";
  CsvReader whole(text);
  std::vector<CsvRecord> first;
  std::vector<std::pair<size_t, uint64_t>> starts;
  std::vector<size_t> ends;
  while (true) {
    const size_t at = whole.offset();
    const uint64_t line = whole.line();
    auto rec = whole.Next();
    REQUIRE(rec.ok());
    if (!rec.value()) break;
    first.push_back(*rec.value());
    starts.emplace_back(at, line);
    ends.push_back(whole.offset());
  }
  REQUIRE(first.size() == 3);
  CHECK(first[1].line == 4);
  CHECK(first[2].line == 6);
  for (size_t i = 0; i < first.size(); ++i) {
    const std::string slice = text.substr(starts[i].first, ends[i] - starts[i].first);
    CsvReader alone(slice, CsvReader::kMaxRecordBytes, starts[i].second);
    auto rec = alone.Next();
    REQUIRE(rec.ok());
    REQUIRE(rec.value());
    CHECK(rec.value()->fields == first[i].fields);
    CHECK(rec.value()->line == first[i].line);
    CHECK_FALSE(alone.Next().value());
  }
}

TEST_CASE("Headers of every layout are recognised; anything else is not a header", "[cfpb]") {
  auto snake = RecogniseCfpbHeader(
      {"date_received", "product", "zipcode", "company", "consumer_disputed?", "complaint_id"});
  REQUIRE(snake);
  CHECK((*snake)[2] == CfpbColumn::kZip);
  auto y2014 = RecogniseCfpbHeader({"Complaint ID", "ZIP code", "Date received", "Company",
                                    "Company response", "Timely response?"});
  REQUIRE(y2014);
  CHECK((*y2014)[4] == CfpbColumn::kCompanyResponse);
  CHECK_FALSE(RecogniseCfpbHeader({"Archive:  /Users/x/complaints.csv.zip"}));
  CHECK_FALSE(RecogniseCfpbHeader({"Date received", "Company", "Colour"}));
  CHECK_FALSE(RecogniseCfpbHeader({"Date received", "Product"}));
  CHECK_FALSE(RecogniseCfpbHeader({"Date received", "Company", "Company"}));
}

TEST_CASE(
    "UTF-8 is checked as JSON needs it: no overlong forms, surrogates or code points past U+10FFFF",
    "[cfpb]") {
  CHECK(IsUtf8("plain ASCII\n\ttabs"));
  CHECK(IsUtf8("\xD8\xB4\xDA\xA9\xD8\xA7\xDB\x8C\xD8\xAA"));        // شکایت
  CHECK(IsUtf8("\xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));  // €, an emoji, U+10FFFF
  CHECK_FALSE(IsUtf8("\xC0\x80"));                                  // overlong NUL
  CHECK_FALSE(IsUtf8("\xE0\x80\xAF"));                              // overlong '/'
  CHECK_FALSE(IsUtf8("\xF0\x80\x80\xAF"));                          // overlong '/'
  CHECK_FALSE(IsUtf8("\xED\xA0\x80"));                              // a surrogate
  CHECK_FALSE(IsUtf8("\xF4\x90\x80\x80"));                          // past U+10FFFF
  CHECK_FALSE(IsUtf8("\xE2\x82"));                                  // cut off
  CHECK_FALSE(IsUtf8("\xA3"));                                      // a stray continuation byte
  CHECK(Utf8SequenceLength("a\xD8\xB4", 1) == 2);
}

TEST_CASE("A row whose text JSON cannot carry is refused naming the field", "[cfpb]") {
  auto cols = RecogniseCfpbHeader(
      {"Date received", "Company", "Consumer complaint narrative", "Complaint ID"});
  REQUIRE(cols);
  CsvRecord rec;
  rec.line = 2;
  rec.fields = {"2020-01-02", "Acme Bank", "bad \xC0\x80 text", "123"};
  auto row = CfpbRowFrom(rec, *cols);
  REQUIRE_FALSE(row.ok());
  CHECK(row.status().message() == "field 'Consumer complaint narrative' is not valid UTF-8 text");
}

TEST_CASE("Dates are M/D/YYYY or ISO and must exist", "[cfpb]") {
  CHECK(FormatDate(ParseCfpbDate("2/29/2016").value()) == "2016-02-29");
  CHECK(FormatDate(ParseCfpbDate("2019-10-07").value()) == "2019-10-07");
  CHECK_FALSE(ParseCfpbDate("2/29/2015").ok());
  CHECK_FALSE(ParseCfpbDate("13/1/2015").ok());
  CHECK_FALSE(ParseCfpbDate("2015-1-7").ok());
  CHECK_FALSE(ParseCfpbDate("").ok());
}

TEST_CASE("A company's merchant id is stable and readable", "[cfpb]") {
  CHECK(CfpbMerchantId("Bank of America") == CfpbMerchantId("Bank of America"));
  CHECK(CfpbMerchantId("Bank of America").rfind("bank-of-america-", 0) == 0);
  CHECK(CfpbMerchantId("Bank of America") != CfpbMerchantId("BANK OF AMERICA"));
}

}  // namespace
}  // namespace ledger
