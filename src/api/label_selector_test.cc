// This file replaces the global operator new to count allocations; GCC then flags every inlined
// new/free pair as mismatched although both sides are ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "api/label_selector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

// Counts heap allocations, so that a test can assert matching never allocates. Every non-aligned
// form is replaced, so that what one form allocates another may free (AddressSanitizer checks they
// pair up).
static std::atomic<size_t> g_allocations{0};
static void* counted_alloc(size_t n) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new(size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace bosun::api {

// Readable failures for tables of requirements.
void PrintTo(const LabelRequirement& r, std::ostream* os) { *os << r.to_string(); }

namespace {

using ::testing::HasSubstr;

const std::string kValueRegexMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const std::string kNameRegexMsg =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

LabelSelector parse_ok(std::string_view s) {
  auto r = LabelSelector::parse(s);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : LabelSelector::nothing();
}

LabelRequirement req(std::string key, SelectorOperator op, std::vector<std::string> values) {
  auto r = LabelRequirement::create(std::move(key), op, std::move(values));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return std::move(r).value();
}

// TestSelectorParse of k8s.io/apimachinery/pkg/labels/selector_test.go: good strings print back
// without spaces.
TEST(LabelSelectorParseTest, GoodStringsRoundTrip) {
  for (std::string s : std::vector<std::string>{"x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ",
                                                "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5"}) {
    std::string want = s;
    std::erase(want, ' ');
    EXPECT_EQ(parse_ok(s).to_string(), want) << s;
  }
}

TEST(LabelSelectorParseTest, BadStrings) {
  for (std::string s : std::vector<std::string>{
           "x=a||y=b", "x==a==b", "!x=a", "x<a", "x,,y", ",x,y", "x nott in (y)", "a in (xyz),",
           "a in (xyz)b notin ()", "a in (xyz abc)", "a notin(", "a (", "(", "x>", "x in (a,b"}) {
    EXPECT_FALSE(LabelSelector::parse(s).ok()) << s;
  }
}

TEST(LabelSelectorParseTest, DeterministicOrder) {
  EXPECT_EQ(parse_ok("x=a,a=x").to_string(), "a=x,x=a");
  EXPECT_EQ(parse_ok("a=x,x=a").to_string(), "a=x,x=a");
  // Same key twice keeps the input order (Kubernetes' sort is stable for short lists).
  EXPECT_EQ(parse_ok("z!=a,x=abc,z").to_string(), "x=abc,z!=a,z");
}

// TestSetSelectorParser: the requirements each string parses into.
TEST(LabelSelectorParseTest, SetBasedRequirements) {
  struct Case {
    std::string in;
    std::vector<LabelRequirement> out;
  };
  using Op = SelectorOperator;
  std::vector<Case> cases = {
      {"", {}},
      {"\rx", {req("x", Op::kExists, {})}},
      {"this-is-a-dns.domain.com/key-with-dash",
       {req("this-is-a-dns.domain.com/key-with-dash", Op::kExists, {})}},
      {"this-is-another-dns.domain.com/key-with-dash in (so,what)",
       {req("this-is-another-dns.domain.com/key-with-dash", Op::kIn, {"so", "what"})}},
      {"0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
       {req("0.1.2.domain/99", Op::kNotIn, {"10.10.100.1", "tick.tack.clock"})}},
      {"foo  in\t (abc)", {req("foo", Op::kIn, {"abc"})}},
      {"x notin\n (abc)", {req("x", Op::kNotIn, {"abc"})}},
      {"x  notin\t\t\t(abc,def)", {req("x", Op::kNotIn, {"abc", "def"})}},
      {"x in (abc,def)", {req("x", Op::kIn, {"abc", "def"})}},
      {"x in (abc,)", {req("x", Op::kIn, {"", "abc"})}},
      {"x in ()", {req("x", Op::kIn, {""})}},
      {"x notin (abc,,def),bar,z in (),w",
       {req("bar", Op::kExists, {}), req("w", Op::kExists, {}),
        req("x", Op::kNotIn, {"", "abc", "def"}), req("z", Op::kIn, {""})}},
      {"x,y in (a)", {req("x", Op::kExists, {}), req("y", Op::kIn, {"a"})}},
      {"x=a", {req("x", Op::kEquals, {"a"})}},
      {"x>1", {req("x", Op::kGreaterThan, {"1"})}},
      {"x<7", {req("x", Op::kLessThan, {"7"})}},
      {"x=a,y!=b", {req("x", Op::kEquals, {"a"}), req("y", Op::kNotEquals, {"b"})}},
      {"x=a,y!=b,z in (h,i,j)",
       {req("x", Op::kEquals, {"a"}), req("y", Op::kNotEquals, {"b"}),
        req("z", Op::kIn, {"h", "i", "j"})}},
      {"x notin ( )", {req("x", Op::kNotIn, {""})}},
      {"x notin (, a)", {req("x", Op::kNotIn, {"", "a"})}},
      {"a ", {req("a", Op::kExists, {})}},
      // "in" and "notin" are plain values inside a list.
      {"a in (x,y,notin, z,in)", {req("a", Op::kIn, {"in", "notin", "x", "y", "z"})}},
      {"x==a", {req("x", Op::kDoubleEquals, {"a"})}},
      {"notin=in", {req("notin", Op::kEquals, {"in"})}},
      {"x in (b,a,b)", {req("x", Op::kIn, {"a", "b"})}},
      {"x in (a,,b)", {req("x", Op::kIn, {"", "a", "b"})}},
      {"x in (a,,)", {req("x", Op::kIn, {"", "a"})}},
      {"x in (a,,,,,,)", {req("x", Op::kIn, {"", "a"})}},
      {"x in (a,,a,,a,,a,,)", {req("x", Op::kIn, {"", "a"})}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_ok(c.in).requirements(), c.out) << c.in;
  }
}

// The lexer stops at the first NUL byte of a token run, as Kubernetes' does.
TEST(LabelSelectorParseTest, NulByteEndsInput) {
  EXPECT_EQ(parse_ok(std::string_view("a=b\0\0junk(", 10)).to_string(), "a=b");
}

struct ErrorCase {
  std::string in;
  std::string message;  // Kubernetes' text
  size_t position;
};

// Kubernetes' wording of each failure (as seen through kubectl and in upstream tests), and the byte
// we point at.
TEST(LabelSelectorParseTest, ErrorMessagesAndPositions) {
  std::vector<ErrorCase> cases = {
      {"app=(", "unable to parse requirement: found '(', expected: identifier", 4},
      {"type=app,versionv1.0.1)",
       "unable to parse requirement: found ')', expected: in, notin, =, ==, !=, gt, lt", 22},
      {"component not in (kube-apiserver)",
       "unable to parse requirement: found 'not', expected: in, notin, =, ==, !=, gt, lt", 10},
      {"env IN (a)",
       "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt", 4},
      {"test-label=====service1", "unable to parse requirement: found '==', expected: identifier",
       12},
      {"label0==label0, label0 in (=)",
       "unable to parse requirement: found '=', expected: ',', ')' or identifier", 27},
      {"x==a==b", "found '==', expected: ',' or 'end of string'", 4},
      {"!x=a", "found '=', expected: ',' or 'end of string'", 2},
      {"x,,y", "found ',', expected: identifier after ','", 2},
      {",x,y", "found ',', expected: !, identifier, or 'end of string'", 0},
      {"a in (xyz),", "found '', expected: identifier after ','", 11},
      {"a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'", 10},
      {"a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'", 10},
      {"a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier", 8},
      {"a in (x,", "unable to parse requirement: found '', expected: ',', or identifier", 8},
      {"a in x", "unable to parse requirement: found 'x' expected: '('", 5},
      {"a (", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt", 2},
      {"(", "found '(', expected: !, identifier, or 'end of string'", 0},
      {"!", "unable to parse requirement: found '', expected: identifier", 1},
      {"x<a",
       "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, "
       "the "
       "value must be an integer",
       2},
      {"x=a||y=b",
       "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": " + kValueRegexMsg, 2},
      {"app=ok,tier in (web, -bad)",
       "unable to parse requirement: values[0][tier]: Invalid value: \"-bad\": " + kValueRegexMsg,
       21},
      {"app:monolith",
       "unable to parse requirement: <nil>: Invalid value: \"app:monolith\": " + kNameRegexMsg, 0},
      {"a,  *bar", "unable to parse requirement: <nil>: Invalid value: \"*bar\": " + kNameRegexMsg,
       4},
      {"app.kubernetes_io/name=x",
       "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": prefix part "
       "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
       "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
       "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
       0},
      // Both of NewRequirement's complaints, aggregated as Kubernetes does.
      {"x>-a",
       "unable to parse requirement: [values[0]: Invalid value: \"-a\": for 'Gt', 'Lt' operators, "
       "the value must be an integer, values[0][x]: Invalid value: \"-a\": " +
           kValueRegexMsg + "]",
       2},
  };
  for (const auto& c : cases) {
    SelectorSyntaxError detail;
    auto r = LabelSelector::parse(c.in, &detail);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
    EXPECT_EQ(detail.message, c.message) << c.in;
    EXPECT_EQ(detail.position, c.position) << c.in;
    EXPECT_EQ(r.error().message, c.message + " (at byte " + std::to_string(c.position) + ")")
        << c.in;
  }
}

TEST(LabelSelectorMatchTest, StringSelectors) {
  struct Case {
    std::string selector;
    Labels labels;
    bool match;
  };
  std::vector<Case> cases = {
      {"", {{"x", "y"}}, true},
      {"x=y", {{"x", "y"}}, true},
      {"x=y,z=w", {{"x", "y"}, {"z", "w"}}, true},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "a"}}, true},
      {"notin=in", {{"notin", "in"}}, true},
      {"x", {{"x", "z"}}, true},
      {"!x", {{"y", "z"}}, true},
      {"x>1", {{"x", "2"}}, true},
      {"x<1", {{"x", "0"}}, true},
      {"x=z", {}, false},
      {"x=y", {{"x", "z"}}, false},
      {"x=y,z=w", {{"x", "w"}, {"z", "w"}}, false},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "w"}}, false},
      {"x", {{"y", "z"}}, false},
      {"!x", {{"x", "z"}}, false},
      {"x>1", {{"x", "0"}}, false},
      {"x<1", {{"x", "2"}}, false},
      {"foo=bar,baz=blah", {{"foo", "bar"}, {"baz", "blah"}}, true},
      {"foo=bar,foobar=bar,baz=blah", {{"foo", "bar"}, {"baz", "blah"}}, false},
      // NotIn matches objects without the key; In never does.
      {"x notin ()", {{"y", ""}}, true},
      {"x in ()", {{"y", "baz"}}, false},
      {"x in ()", {{"x", ""}}, true},
      {"z>1", {{"z", "v2"}}, false},
      {"z>1", {}, false},
      {"z<1", {{"z", "-5"}}, true},
      {"z>1", {{"z", "99999999999999999999"}}, false},  // not an int64: never matches
      {"x=", {{"x", ""}}, true},
      {"x=", {}, false},
      {"x!=", {}, true},
  };
  for (const auto& c : cases) {
    LabelSelector s = parse_ok(c.selector);
    EXPECT_EQ(s.matches(c.labels), c.match) << c.selector;
    EXPECT_EQ(s.matches(labels_to_json(c.labels)), c.match) << c.selector << " (json)";
  }
}

// The scheduler and controllers match every pod against every selector: matching must not allocate.
TEST(LabelSelectorMatchTest, MatchingDoesNotAllocate) {
  LabelSelector s = parse_ok(
      "app=web,tier in (frontend,backend),environment!=dev,release,!canary,rank>3,rank<10");
  Labels labels = {{"app", "web"},    {"tier", "frontend"},   {"environment", "prod"},
                   {"release", "1"},  {"rank", "7"},          {"team", "shop"},
                   {"zone", "a"},     {"hash", "7c5ddbdf54"}, {"owner", "me"},
                   {"version", "1.4"}};
  Json json_labels = labels_to_json(labels);
  size_t before = g_allocations.load();
  bool m1 = s.matches(labels);
  bool m2 = s.matches(json_labels);
  labels["tier"] = "cache";  // allocates, but outside the measured calls
  size_t mid = g_allocations.load();
  bool m3 = s.matches(labels);
  size_t after = g_allocations.load();
  EXPECT_TRUE(m1);
  EXPECT_TRUE(m2);
  EXPECT_FALSE(m3);
  EXPECT_EQ(after - mid, 0u);
  EXPECT_LE(mid - before, 1u);  // at most the one for the new "cache" value
  // The counter does see allocations.
  size_t c0 = g_allocations.load();
  Labels copy = labels;
  EXPECT_GE(g_allocations.load() - c0, copy.size());
}

TEST(LabelSelectorMatchTest, JsonLabelsOfOtherShapes) {
  LabelSelector s = parse_ok("!x");
  EXPECT_TRUE(s.matches(Json(nullptr)));
  EXPECT_TRUE(s.matches(Json::parse(R"({"x": 5})")));  // a non-string is no label
  EXPECT_FALSE(parse_ok("x").matches(Json::array()));
}

TEST(LabelSelectorTest, EverythingAndNothing) {
  EXPECT_TRUE(LabelSelector::everything().matches(Labels{{"x", "y"}}));
  EXPECT_TRUE(LabelSelector::everything().empty());
  EXPECT_FALSE(LabelSelector::nothing().matches(Labels{}));
  EXPECT_FALSE(LabelSelector::nothing().empty());
  EXPECT_TRUE(LabelSelector::nothing().matches_nothing());
  EXPECT_EQ(LabelSelector::nothing().to_string(), "");
  EXPECT_FALSE(LabelSelector::nothing()
                   .add({req("a", SelectorOperator::kExists, {})})
                   .matches(Labels{{"a", "b"}}));
  EXPECT_NE(LabelSelector::nothing(), LabelSelector::everything());
}

TEST(LabelSelectorTest, FromSet) {
  Labels set = {{"foo", "bar"}, {"baz", "blah"}};
  EXPECT_TRUE(LabelSelector::from_set({}).matches(set));
  EXPECT_TRUE(LabelSelector::from_set({}).empty());
  EXPECT_TRUE(LabelSelector::from_set({{"foo", "bar"}}).matches(set));
  EXPECT_TRUE(LabelSelector::from_set(set).matches(set));
  EXPECT_FALSE(LabelSelector::from_set({{"foo", "=blah"}}).matches(set));
  EXPECT_EQ(LabelSelector::from_set(set).to_string(), "baz=blah,foo=bar");
  EXPECT_TRUE(LabelSelector::from_validated_set(set).ok());
  auto bad = LabelSelector::from_validated_set({{"foo", "=blah"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "values[0][foo]: Invalid value: \"=blah\": " + kValueRegexMsg);
}

TEST(LabelSelectorTest, ToStringSortsValuesAndKeys) {
  using Op = SelectorOperator;
  LabelSelector s = LabelSelector().add({req("y", Op::kNotIn, {"jkl"}), req("z", Op::kExists, {}),
                                         req("x", Op::kIn, {"def", "abc"})});
  EXPECT_EQ(s.to_string(), "x in (abc,def),y notin (jkl),z");
  // The requirement itself keeps the order it was given.
  EXPECT_EQ(s.requirements()[0].values(), (std::vector<std::string>{"def", "abc"}));
  EXPECT_EQ(LabelSelector()
                .add({req("x", Op::kNotIn, {"abc", "def"}), req("y", Op::kNotEquals, {"jkl"}),
                      req("z", Op::kDoesNotExist, {})})
                .to_string(),
            "x notin (abc,def),y!=jkl,!z");
  EXPECT_EQ(LabelSelector()
                .add({req("x", Op::kEquals, {"abc"}), req("y", Op::kDoubleEquals, {"jkl"}),
                      req("z", Op::kNotEquals, {"a"}), req("z", Op::kExists, {})})
                .to_string(),
            "x=abc,y==jkl,z!=a,z");
  EXPECT_EQ(LabelSelector()
                .add({req("x", Op::kGreaterThan, {"2"}), req("y", Op::kLessThan, {"8"}),
                      req("z", Op::kExists, {})})
                .to_string(),
            "x>2,y<8,z");
  EXPECT_EQ(LabelSelector().add({req("z", Op::kNotIn, {""})}).to_string(), "z notin ()");
}

// TestRequirementConstructor, with the field paths Kubernetes reports.
TEST(LabelRequirementTest, Constructor) {
  using Op = SelectorOperator;
  struct Case {
    std::string key;
    Op op;
    std::vector<std::string> values;
    std::string error;  // empty = valid
  };
  std::vector<Case> cases = {
      {"x1",
       Op::kIn,
       {},
       "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be "
       "empty"},
      {"x3", Op::kIn, {"foo"}, ""},
      {"x4", Op::kNotIn, {"foo"}, ""},
      {"x5",
       Op::kEquals,
       {"bar", "foo"},
       "values: Invalid value: []string{\"bar\", \"foo\"}: exact-match compatibility requires one "
       "single value"},
      {"x6", Op::kExists, {}, ""},
      {"x7", Op::kDoesNotExist, {}, ""},
      {"x8",
       Op::kExists,
       {"foo"},
       "values: Invalid value: []string{\"foo\"}: values set must be empty for exists and does not "
       "exist"},
      {"1foo", Op::kIn, {"bar"}, ""},
      {"1234", Op::kIn, {"bar"}, ""},
      {"x11", Op::kGreaterThan, {"1"}, ""},
      {"x12", Op::kLessThan, {"6"}, ""},
      {"x13",
       Op::kGreaterThan,
       {},
       "values: Invalid value: []string(nil): for 'Gt', 'Lt' operators, exactly one value is "
       "required"},
      {"x14",
       Op::kGreaterThan,
       {"bar"},
       "values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an integer"},
      {"x15",
       Op::kLessThan,
       {"bar"},
       "values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an integer"},
      {std::string(254, 'a'),
       Op::kExists,
       {},
       "key: Invalid value: \"" + std::string(254, 'a') +
           "\": name part must be no more than 63 characters"},
      {"x16",
       Op::kEquals,
       {std::string(254, 'a')},
       "values[0][x16]: Invalid value: \"" + std::string(254, 'a') +
           "\": must be no more than 63 characters"},
      {"x17", Op::kEquals, {"a b"}, "values[0][x17]: Invalid value: \"a b\": " + kValueRegexMsg},
  };
  for (const auto& c : cases) {
    auto r = LabelRequirement::create(c.key, c.op, c.values);
    if (c.error.empty()) {
      EXPECT_TRUE(r.ok()) << c.key << ": " << (r.ok() ? "" : r.error().message);
    } else {
      ASSERT_FALSE(r.ok()) << c.key;
      EXPECT_EQ(r.error().message, c.error) << c.key;
    }
  }
}

TEST(LabelRequirementTest, PathPrefix) {
  auto r = LabelRequirement::create("a b", SelectorOperator::kExists, {}, "spec.selector");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("spec.selector.key: Invalid value: \"a b\""));
}

TEST(LabelSelectorTest, RequiresExactMatch) {
  EXPECT_EQ(parse_ok("a=1,b in (2),c!=3").requires_exact_match("a"), "1");
  EXPECT_EQ(parse_ok("a=1,b in (2),c!=3").requires_exact_match("b"), "2");
  EXPECT_EQ(parse_ok("a=1,b in (2),c!=3").requires_exact_match("c"), std::nullopt);
  EXPECT_EQ(parse_ok("b in (2,3)").requires_exact_match("b"), std::nullopt);
  EXPECT_EQ(parse_ok("a==1").requires_exact_match("z"), std::nullopt);
}

// metav1.LabelSelectorAsSelector.
TEST(LabelSelectorJsonTest, FromJson) {
  auto sel = [](const char* json) { return LabelSelector::from_json(Json::parse(json)); };
  // null matches nothing, {} everything.
  ASSERT_TRUE(sel("null").ok());
  EXPECT_TRUE(sel("null")->matches_nothing());
  EXPECT_FALSE(sel("null")->matches(Labels{}));
  EXPECT_TRUE(sel("{}")->empty());
  EXPECT_TRUE(sel("{}")->matches(Labels{{"a", "b"}}));
  EXPECT_TRUE(sel(R"({"matchLabels": {}, "matchExpressions": []})")->empty());

  auto s = sel(R"({"matchLabels": {"tier": "web", "app": "shop"},
                   "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]},
                                        {"key": "canary", "operator": "DoesNotExist"},
                                        {"key": "app", "operator": "Exists"}]})");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->to_string(), "app=shop,app,!canary,env in (dev,prod),tier=web");
  EXPECT_TRUE(s->matches(Labels{{"app", "shop"}, {"tier", "web"}, {"env", "dev"}}));
  EXPECT_FALSE(s->matches(Labels{{"app", "shop"}, {"tier", "web"}, {"env", "qa"}}));
  EXPECT_FALSE(
      s->matches(Labels{{"app", "shop"}, {"tier", "web"}, {"env", "dev"}, {"canary", "1"}}));

  auto bad_op = sel(R"({"matchExpressions": [{"key": "a", "operator": "Foo"}]})");
  ASSERT_FALSE(bad_op.ok());
  EXPECT_EQ(bad_op.error().message, "\"Foo\" is not a valid pod selector operator");
  auto no_values = sel(R"({"matchExpressions": [{"key": "a", "operator": "In"}]})");
  ASSERT_FALSE(no_values.ok());
  EXPECT_EQ(
      no_values.error().message,
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be "
      "empty");
  auto bad_value = sel(R"({"matchLabels": {"a": "b c"}})");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(bad_value.error().message, "values[0][a]: Invalid value: \"b c\": " + kValueRegexMsg);
  EXPECT_FALSE(sel(R"({"matchLabels": {"a": 1}})").ok());
  EXPECT_FALSE(sel(R"({"matchExpressions": {}})").ok());
  EXPECT_FALSE(sel("[]").ok());
}

// metav1.ParseToLabelSelector: back to the object form.
TEST(LabelSelectorJsonTest, ToJson) {
  auto j = parse_ok("app=web,tier in (b,a),!canary,env").to_json();
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(*j, Json::parse(R"({"matchLabels": {"app": "web"},
      "matchExpressions": [{"key": "canary", "operator": "DoesNotExist"},
                           {"key": "env", "operator": "Exists"},
                           {"key": "tier", "operator": "In", "values": ["a", "b"]}]})"));
  EXPECT_EQ(*LabelSelector::from_json(*j), parse_ok("app=web,tier in (b,a),!canary,env"));
  EXPECT_EQ(*LabelSelector().to_json(), Json::object());
  EXPECT_EQ(*LabelSelector::nothing().to_json(), Json(nullptr));
  EXPECT_EQ(parse_ok("a>1").to_json().error().message, "\"gt\" isn't supported in label selectors");
  EXPECT_EQ(parse_ok("a!=1").to_json().error().message,
            "\"!=\" is not a valid label selector operator");
}

std::vector<std::string> messages(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs.errors()) out.push_back(e.message());
  return out;
}

// ValidateLabelSelector: the field errors a Deployment or ReplicaSet with a bad selector gets.
TEST(LabelSelectorValidationTest, Messages) {
  auto v = [](const char* json) {
    return messages(validate_label_selector(Json::parse(json), "spec.selector"));
  };
  EXPECT_TRUE(v("null").empty());
  EXPECT_TRUE(v("{}").empty());
  EXPECT_TRUE(v(R"({"matchLabels": {"app": "web"},
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a"]},
                                         {"key": "x", "operator": "Exists"}]})")
                  .empty());
  EXPECT_THAT(
      v(R"({"matchExpressions": [{"key": "tier", "operator": "In", "values": []}]})"),
      ::testing::ElementsAre("spec.selector.matchExpressions[0].values: Required value: must be "
                             "specified when `operator` is 'In' or 'NotIn'"));
  EXPECT_THAT(
      v(R"({"matchExpressions": [{"key": "tier", "operator": "In"},
                                 {"key": "x", "operator": "DoesNotExist", "values": ["a"]}]})"),
      ::testing::ElementsAre("spec.selector.matchExpressions[0].values: Required value: must be "
                             "specified when `operator` is 'In' or 'NotIn'",
                             "spec.selector.matchExpressions[1].values: Forbidden: may not be "
                             "specified when `operator` is 'Exists' or 'DoesNotExist'"));
  EXPECT_THAT(
      v(R"({"matchExpressions": [{"key": "a/b/c", "operator": "Foo"}]})"),
      ::testing::ElementsAre(
          "spec.selector.matchExpressions[0].operator: Invalid value: \"Foo\": not a valid "
          "selector operator",
          "spec.selector.matchExpressions[0].key: Invalid value: \"a/b/c\": a qualified "
          "name must consist of alphanumeric characters, '-', '_' or '.', and must start "
          "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
          "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "
          "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
  EXPECT_THAT(
      v(R"({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["ok", "not ok"]}]})"),
      ::testing::ElementsAre("spec.selector.matchExpressions[0].values[1]: Invalid value: \"not "
                             "ok\": " +
                             kValueRegexMsg));
  EXPECT_THAT(v(R"({"matchLabels": {"app": "bad value", "-x": "ok"}})"),
              ::testing::ElementsAre(
                  "spec.selector.matchLabels: Invalid value: \"-x\": " + kNameRegexMsg,
                  "spec.selector.matchLabels: Invalid value: \"bad value\": " + kValueRegexMsg));
  // The apps/v1 option that tolerates old objects' bad values in selectors.
  EXPECT_TRUE(
      validate_label_selector(
          Json::parse(
              R"({"matchExpressions": [{"key": "t", "operator": "In", "values": ["not ok"]}]})"),
          "spec.selector", true)
          .empty());

  FieldErrors errs = validate_label_selector(
      Json::parse(R"({"matchExpressions": [{"key": "tier", "operator": "In"}]})"), "spec.selector");
  Error e = errs.to_error("Deployment.apps", "web");
  EXPECT_EQ(e.code, ErrorCode::kInvalid);
  EXPECT_EQ(
      e.message,
      "Deployment.apps \"web\" is invalid: spec.selector.matchExpressions[0].values: Required "
      "value: must be specified when `operator` is 'In' or 'NotIn'");
  ASSERT_EQ(e.causes.size(), 1u);
  EXPECT_EQ(e.causes[0].reason, "FieldValueRequired");
  EXPECT_EQ(e.causes[0].field, "spec.selector.matchExpressions[0].values");
}

TEST(LabelsTest, ValidateLabelsAndJson) {
  EXPECT_TRUE(
      validate_labels({{"app", "web"}, {"example.com/tier", ""}}, "metadata.labels").empty());
  EXPECT_THAT(
      messages(validate_labels({{"app", "-web"}}, "metadata.labels")),
      ::testing::ElementsAre("metadata.labels: Invalid value: \"-web\": " + kValueRegexMsg));
  auto l = labels_from_json(Json::parse(R"({"a": "1", "b": ""})"));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(*l, (Labels{{"a", "1"}, {"b", ""}}));
  EXPECT_TRUE(labels_from_json(Json(nullptr))->empty());
  EXPECT_FALSE(labels_from_json(Json::parse(R"({"a": 1})")).ok());
  EXPECT_FALSE(labels_from_json(Json::parse("[]")).ok());
}

}  // namespace
}  // namespace bosun::api
