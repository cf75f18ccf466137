#include "common/json_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bosun {
namespace {

// The reader must build exactly what nlohmann builds: callers swap one for the other.
void expect_same_as_nlohmann(const std::string& text) {
  SCOPED_TRACE(text);
  Json expected = Json::parse(text, nullptr, false);
  auto got = read_json(text);
  if (expected.is_discarded()) {
    EXPECT_FALSE(got.ok());
    return;
  }
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, expected);
  EXPECT_EQ(got->dump(), expected.dump());
  EXPECT_EQ(got->type(), expected.type());
}

TEST(JsonReaderTest, PodAsStoredMatchesNlohmann) {
  const std::string pod =
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":"2026-11-26T12:00:00Z",)"
      R"("managedFields":[{"apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{)"
      R"("f:containers":{"k:{\"name\":\"pause\"}":{".":{},"f:image":{}}}}},"manager":"kubectl",)"
      R"("operation":"Update","time":"2026-11-26T12:00:00Z"}],"name":"pod-1","namespace":"default",)"
      R"("uid":"0b8f3c1e-1111-4222-8333-944455556666"},"spec":{"containers":[{"image":"registry.k8s.io/pause:3.10",)"
      R"("name":"pause","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"limits":{"cpu":"100m"},)"
      R"("requests":{"cpu":"100m","memory":"500Mi"}}}],"priority":0,"terminationGracePeriodSeconds":30,)"
      R"("tolerations":[{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists",)"
      R"("tolerationSeconds":300}]},"status":{"phase":"Pending","qosClass":"Guaranteed"}})";
  expect_same_as_nlohmann(pod);
}

TEST(JsonReaderTest, ScalarsAndNumberTypesMatchNlohmann) {
  for (const char* text : {"0",
                           "1",
                           "-1",
                           "18446744073709551615",
                           "18446744073709551616",
                           "-9223372036854775808",
                           "-9223372036854775809",
                           "1.5",
                           "-1.5e3",
                           "1E+2",
                           "1e-2",
                           "1e400",
                           "-1e400",
                           "1e-400",
                           "0.1",
                           "123456789012345678901234567890",
                           "true",
                           "false",
                           "null",
                           "\"\"",
                           " 7 ",
                           "\t\r\n[]\n",
                           "{}",
                           "[1,[2,[3,{}]]]"}) {
    expect_same_as_nlohmann(text);
  }
  // The one difference: "-0" is nlohmann's signed 0 and our unsigned 0; equal, printed alike.
  EXPECT_EQ(*read_json("-0"), Json::parse("-0"));
  EXPECT_EQ(read_json("[-0]")->dump(), "[0]");
  // Unsigned without a sign, signed with one, as nlohmann types them.
  EXPECT_TRUE(read_json("5")->is_number_unsigned());
  EXPECT_TRUE(read_json("-5")->is_number_integer() && !read_json("-5")->is_number_unsigned());
  EXPECT_TRUE(read_json("5.0")->is_number_float());
}

TEST(JsonReaderTest, StringsEscapesAndUtf8MatchNlohmann) {
  for (const char* text :
       {R"("a\"b\\c\/d\b\f\n\r\t")", R"("\u0000x")", R"("\u00e9\u4e2d")", R"("\ud83d\ude00")",
        "\"caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80\"", R"("\ud83d")", R"("\ude00")",
        R"("\ud83dx")", R"("\u12")", R"("\x")", "\"\xC0\x80\"", "\"\xED\xA0\x80\"",
        "\"\xF4\x90\x80\x80\"", "\"\xE0\x9F\xBF\"", "\"\xC3\"", "\"a\x01\"", "\"unterminated"}) {
    expect_same_as_nlohmann(text);
  }
}

TEST(JsonReaderTest, DuplicateKeysKeepTheLastLikeNlohmann) {
  expect_same_as_nlohmann(R"({"b":1,"a":{"x":1},"a":[2],"c":3})");
  EXPECT_EQ((*read_json(R"({"a":{"x":1},"a":2})"))["a"], 2);
  // Keys out of order still sort.
  expect_same_as_nlohmann(R"({"z":1,"y":2,"a":3,"m":{"q":1,"b":2}})");
}

TEST(JsonReaderTest, ByteOrderMarkIsSkippedAsNlohmannDoes) {
  expect_same_as_nlohmann("\xEF\xBB\xBF{\"a\":1}");
  expect_same_as_nlohmann("\xEF\xBB{\"a\":1}");
}

TEST(JsonReaderTest, MalformedInputIsAnErrorWithItsOffset) {
  for (const char* text :
       {"",      " ",   "{",     "[",     "[1,]", "{\"a\":1,}", "{\"a\"}", "{\"a\" 1}",
        "{a:1}", "01",  "1.",    ".5",    "-",    "1e",         "1e+",     "+1",
        "tru",   "nul", "[1 2]", "{} {}", "[1]]", "\"a\"x",     "NaN"}) {
    expect_same_as_nlohmann(text);
  }
  // An empty view with a null pointer, as an empty request body arrives.
  EXPECT_FALSE(read_json(std::string_view()).ok());
  auto r = read_json("[1,]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(r.error().message,
            "json: [json.exception.parse_error.101] parse error at line 1, column 4: syntax error "
            "while parsing value - unexpected ']'; expected '[', '{', or a literal");
  // A NUL byte ends the input for nlohmann: what follows a complete value is ignored.
  expect_same_as_nlohmann(std::string("[1,-2]\0x", 8));
  expect_same_as_nlohmann(std::string("[1,\0]", 5));
  expect_same_as_nlohmann(std::string("\0", 1));
  EXPECT_EQ(read_json("{\"a\":1} x").error().message,
            "json: [json.exception.parse_error.101] parse error at line 1, column 9: syntax error "
            "while parsing value - invalid literal; last read: '1} x'; expected end of input");
}

TEST(JsonReaderTest, DocumentsPastTheThreadParsersCapacityMatchNlohmann) {
  // A list larger than the 64 KiB a thread's parser keeps gets a parser of its own.
  Json items = Json::array();
  for (int i = 0; i < 3000; ++i) {
    items.push_back({{"name", "pod-" + std::to_string(i)}, {"n", i}, {"f", i * 0.5}});
  }
  std::string text = Json{{"items", items}}.dump();
  ASSERT_GT(text.size(), 64u * 1024);
  expect_same_as_nlohmann(text);
  // And the thread's own parser still serves small documents afterwards.
  expect_same_as_nlohmann(R"({"a":[1,-2,3.5,"x",null,true]})");
}

TEST(JsonReaderTest, DeepNestingDoesNotExhaustTheStack) {
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  auto r = read_json(deep);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_array());
  EXPECT_FALSE(read_json(std::string(200000, '[')).ok());
}

}  // namespace
}  // namespace bosun
