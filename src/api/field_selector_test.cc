#include "api/field_selector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bosun::api {

void PrintTo(const FieldRequirement& r, std::ostream* os) {
  *os << r.field << (r.not_equals ? "!=" : "=") << r.value;
}

namespace {

FieldSelector parse_ok(std::string_view s) {
  auto r = FieldSelector::parse(s);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : FieldSelector::nothing();
}

// TestSelectorParse of k8s.io/apimachinery/pkg/fields/selector_test.go.
TEST(FieldSelectorParseTest, GoodStringsRoundTrip) {
  for (std::string s :
       std::vector<std::string>{"x=a,y=b,z=c", "", "x!=a,y=b", "x=a||y\\=b", "x=a\\=\\=b"}) {
    EXPECT_EQ(parse_ok(s).to_string(), s) << s;
  }
}

TEST(FieldSelectorParseTest, Terms) {
  struct Case {
    std::string in;
    std::vector<FieldRequirement> out;
  };
  std::vector<Case> cases = {
      {"a=value", {{"a", false, "value"}}},
      {"b==value", {{"b", false, "value"}}},
      {"c!=value", {{"c", true, "value"}}},
      {"a=avalue,b==bvalue,c!=cvalue",
       {{"a", false, "avalue"}, {"b", false, "bvalue"}, {"c", true, "cvalue"}}},
      {"a=a,", {{"a", false, "a"}}},
      {",a=a", {{"a", false, "a"}}},
      // Sorted by the text as written: k2=v2 comes before k=\, (the digit sorts before "=").
      {"k=\\,,k2=v2", {{"k2", false, "v2"}, {"k", false, ","}}},
      {"k=\\\\,k2=v2", {{"k2", false, "v2"}, {"k", false, "\\"}}},
      {"k=\\\\\\,,k2=v2", {{"k2", false, "v2"}, {"k", false, "\\,"}}},
      {"k=\\=", {{"k", false, "="}}},
      {"함=수,목=록", {{"목", false, "록"}, {"함", false, "수"}}},
      // The field is never unescaped: the first operator splits.
      {"a\\=b", {{"a\\", false, "b"}}},
      {"a!b=c", {{"a!b", false, "c"}}},
      {"spec.nodeName=", {{"spec.nodeName", false, ""}}},
      {"=a", {{"", false, "a"}}},
      // A term with neither field nor value selects nothing more.
      {"=", {}},
      {"=,a=b,!=", {{"a", false, "b"}}},
      // Terms are ordered by their text as written, so "==" sorts before "=b".
      {"a==c,a=b", {{"a", false, "c"}, {"a", false, "b"}}},
      {"x=a,a=x", {{"a", false, "x"}, {"x", false, "a"}}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_ok(c.in).requirements(), c.out) << c.in;
  }
  EXPECT_EQ(parse_ok("a==c,a=b").to_string(), "a=c,a=b");
  EXPECT_EQ(parse_ok("").to_string(), "");
  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("=").empty());
}

TEST(FieldSelectorParseTest, InvalidUtf8BecomesReplacementCharacterWhenUnescaping) {
  // Go's UnescapeValue walks runes once a value has escapes; a value without any is kept byte for
  // byte.
  EXPECT_EQ(parse_ok("a=\xff\\,").requirements()[0].value, "\xEF\xBF\xBD,");
  EXPECT_EQ(parse_ok("a=\xff").requirements()[0].value, "\xff");
}

TEST(FieldSelectorParseTest, ErrorMessagesAndPositions) {
  struct Case {
    std::string in;
    std::string message;
    size_t position;
  };
  std::vector<Case> cases = {
      {"x", "invalid selector: 'x'; can't understand 'x'", 0},
      {"x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'", 4},
      {"x in (a)", "invalid selector: 'x in (a)'; can't understand 'x in (a)'", 0},
      {"x in (a,b,c)", "invalid selector: 'x in (a,b,c)'; can't understand 'b'", 8},
      {"x=a||y=b", "invalid field selector: unescaped character in value: 61", 6},
      {"x==a==b", "invalid field selector: unescaped character in value: 61", 4},
      {"k=\\a\\b\\", "invalid field selector: invalid escape sequence: \\a", 2},
      {"ok=1,k=v\\", "invalid field selector: invalid escape sequence: \\", 8},
      {"k=\\함", "invalid field selector: invalid escape sequence: \\함", 2},
  };
  for (const auto& c : cases) {
    SelectorSyntaxError detail;
    auto r = FieldSelector::parse(c.in, &detail);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
    EXPECT_EQ(r.error().http_code(), 400);
    EXPECT_EQ(detail.message, c.message) << c.in;
    EXPECT_EQ(detail.position, c.position) << c.in;
    EXPECT_EQ(r.error().message, c.message + " (at byte " + std::to_string(c.position) + ")");
  }
}

// TestEscapeValue.
TEST(FieldSelectorEscapeTest, EscapeAndUnescape) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},     {"a", "a"},     {"=", "\\="},
      {",", "\\,"}, {"\\", "\\\\"}, {"\\=\\,\\", "\\\\\\=\\\\\\,\\\\"}};
  for (const auto& [raw, escaped] : cases) {
    EXPECT_EQ(escape_field_value(raw), escaped);
    auto back = unescape_field_value(escaped);
    ASSERT_TRUE(back.ok()) << escaped;
    EXPECT_EQ(*back, raw);
  }
  for (std::string bad : {"\\", "\\\\\\", "\\a"}) {
    auto r = unescape_field_value(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.error().message, ::testing::HasSubstr("invalid escape sequence"));
  }
}

// TestSelectorMatches and TestSetMatches.
TEST(FieldSelectorMatchTest, Matches) {
  struct Case {
    std::string selector;
    Fields fields;
    bool match;
  };
  Fields fieldset = {{"foo", "bar"}, {"baz", "blah"}, {"complex", "=value\\,\\"}};
  std::vector<Case> cases = {
      {"", {{"x", "y"}}, true},
      {"x=y", {{"x", "y"}}, true},
      {"x=y,z=w", {{"x", "y"}, {"z", "w"}}, true},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "a"}}, true},
      {"notin=in", {{"notin", "in"}}, true},
      {"x=y", {{"x", "z"}}, false},
      {"x=y,z=w", {{"x", "w"}, {"z", "w"}}, false},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "w"}}, false},
      {"foo=bar", fieldset, true},
      {"baz=blah", fieldset, true},
      {"foo=bar,baz=blah", fieldset, true},
      {"foo=bar,baz=blah,complex=\\=value\\\\\\,\\\\", fieldset, true},
      {"foo=blah", fieldset, false},
      {"baz=bar", fieldset, false},
      {"foo=bar,foobar=bar,baz=blah", fieldset, false},
      // An absent field reads as "": the way to ask for unscheduled pods.
      {"spec.nodeName=", {{"metadata.name", "p"}}, true},
      {"spec.nodeName!=", {{"metadata.name", "p"}}, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_ok(c.selector).matches(c.fields), c.match) << c.selector;
  }
  Fields labelset = {{"foo", "bar"}, {"baz", "blah"}};
  EXPECT_TRUE(FieldSelector::from_set({}).matches(labelset));
  EXPECT_TRUE(FieldSelector::from_set({{"foo", "bar"}, {"baz", "blah"}}).matches(labelset));
  EXPECT_FALSE(FieldSelector::from_set({{"foo", "=blah"}}).matches(labelset));
  EXPECT_FALSE(FieldSelector::from_set({{"foo", "=bar"}, {"foobar", "bar"}, {"baz", "blah"}})
                   .matches(labelset));
  EXPECT_TRUE(FieldSelector::one_term_equal("x", "y").matches(Fields{{"x", "y"}}));
  EXPECT_FALSE(FieldSelector::one_term_equal("x", "y").matches(Fields{{"x", "z"}}));
  EXPECT_FALSE(FieldSelector::nothing().matches(Fields{}));
  EXPECT_FALSE(FieldSelector::nothing().empty());
}

TEST(FieldSelectorMatchTest, MatchesWithFunction) {
  FieldSelector s = parse_ok("metadata.name=web,status.phase!=Failed");
  int calls = 0;
  auto get = [&](std::string_view f) -> std::string_view {
    ++calls;
    if (f == "metadata.name") return "web";
    if (f == "status.phase") return "Running";
    return "";
  };
  EXPECT_TRUE(s.matches_with(get));
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(s.matches_with([](std::string_view) { return std::string_view("Failed"); }));
}

TEST(FieldSelectorTest, RequiresExactMatch) {
  EXPECT_EQ(FieldSelector().requires_exact_match("test"), std::nullopt);
  EXPECT_EQ(FieldSelector::one_term_equal("a", "b").requires_exact_match("test"), std::nullopt);
  EXPECT_EQ(FieldSelector::one_term_equal("test", "b").requires_exact_match("test"), "b");
  EXPECT_EQ(FieldSelector::one_term_equal("test", "").requires_exact_match("test"), "");
  EXPECT_EQ(parse_ok("test!=b").requires_exact_match("test"), std::nullopt);
  EXPECT_EQ(parse_ok("=x,test=b").requires_exact_match("test"), "b");
}

TEST(FieldSelectorTest, CheckSupported) {
  std::set<std::string> pod = {"metadata.name",      "metadata.namespace", "spec.nodeName",
                               "spec.restartPolicy", "spec.schedulerName", "status.phase"};
  EXPECT_TRUE(check_supported(parse_ok("spec.nodeName=n1,status.phase!=Running"), pod).ok());
  auto r = check_supported(parse_ok("spec.nodeName=n1,spec.foo=bar"), pod);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(r.error().http_code(), 400);
  EXPECT_EQ(r.error().message, "field label not supported: spec.foo");

  // A kind without its own selectable fields answers with the default conversion's message.
  std::set<std::string> config_map = {"metadata.name", "metadata.namespace"};
  auto d = check_supported(parse_ok("data.x=1"), config_map);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message,
            "\"data.x\" is not a known field selector: only \"metadata.name\", "
            "\"metadata.namespace\"");
  EXPECT_EQ(check_supported(parse_ok("data.x=1"), config_map, FieldLabelConversion::kPerKind)
                .error()
                .message,
            "field label not supported: data.x");

  // A Node has no namespace to select on.
  std::set<std::string> node = {"metadata.name", "spec.unschedulable"};
  EXPECT_EQ(check_supported(parse_ok("metadata.namespace=x"), node).error().message,
            "field label not supported: metadata.namespace");
  EXPECT_TRUE(check_supported(FieldSelector(), node).ok());
}

TEST(FieldSelectorTest, Transform) {
  // A Pod's legacy field name, and a conversion that drops a term.
  auto fn = [](std::string_view f,
               std::string_view v) -> Result<std::pair<std::string, std::string>> {
    if (f == "spec.host")
      return std::pair<std::string, std::string>("spec.nodeName", std::string(v));
    if (f == "drop") return std::pair<std::string, std::string>("", "");
    if (f == "bad") return make_error(ErrorCode::kBadRequest, "field label not supported: bad");
    return std::pair<std::string, std::string>(std::string(f), std::string(v));
  };
  auto t = parse_ok("spec.host=n1,drop=x,a!=b").transform(fn);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->to_string(), "a!=b,spec.nodeName=n1");
  auto bad = parse_ok("a=1,bad=2").transform(fn);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "field label not supported: bad");
}

TEST(FieldSelectorTest, ObjectFields) {
  Json pod = Json::parse(R"({
    "metadata": {"name": "web-0", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {"nodeName": "n1", "hostNetwork": true, "priority": 7, "containers": []},
    "status": {"phase": "Running"}})");
  Fields f = object_fields(pod, {"spec.nodeName", "spec.hostNetwork", "spec.priority",
                                 "status.phase", "status.podIP", "spec.containers", "metadata"});
  EXPECT_EQ(f, (Fields{{"metadata.name", "web-0"},
                       {"metadata.namespace", "shop"},
                       {"spec.hostNetwork", "true"},
                       {"spec.nodeName", "n1"},
                       {"spec.priority", "7"},
                       {"status.phase", "Running"}}));
  EXPECT_TRUE(parse_ok("spec.nodeName=n1,status.podIP=,metadata.namespace=shop").matches(f));
  EXPECT_EQ(object_fields(Json::parse(R"({"metadata": {"name": "node-1"}})")),
            (Fields{{"metadata.name", "node-1"}, {"metadata.namespace", ""}}));
  EXPECT_EQ(object_fields(Json(nullptr)),
            (Fields{{"metadata.name", ""}, {"metadata.namespace", ""}}));
}

}  // namespace
}  // namespace bosun::api
