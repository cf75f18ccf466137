#include "api/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bosun::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

// Cases from k8s.io/apimachinery/pkg/util/validation/validation_test.go.
TEST(ValidationTest, Dns1123Label) {
  for (const std::string& v :
       std::vector<std::string>{"a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012", "1a",
                                "1-a", "1--a--b--2"}) {
    EXPECT_THAT(is_dns1123_label(v), IsEmpty()) << v;
    EXPECT_TRUE(dns1123_label_ok(v)) << v;
  }
  EXPECT_THAT(is_dns1123_label(std::string(63, 'a')), IsEmpty());
  for (const std::string& v : std::vector<std::string>{"",    "A",
                                                       "ABC", "aBc",
                                                       "A1",  "A-1",
                                                       "1-A", "-",
                                                       "a-",  "-a",
                                                       "1-",  "-1",
                                                       "_",   "a_",
                                                       "_a",  "a_b",
                                                       "1_",  "_1",
                                                       "1_2", ".",
                                                       "a.",  ".a",
                                                       "a.b", "1.",
                                                       ".1",  "1.2",
                                                       " ",   "a ",
                                                       " a",  "a b",
                                                       "1 ",  " 1",
                                                       "1 2", std::string(64, 'a')}) {
    EXPECT_THAT(is_dns1123_label(v), Not(IsEmpty())) << v;
    EXPECT_FALSE(dns1123_label_ok(v)) << v;
  }
}

TEST(ValidationTest, Dns1123LabelMessages) {
  EXPECT_THAT(
      is_dns1123_label("Foo"),
      ElementsAre("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                  "characters or '-', and must start and end with an alphanumeric character "
                  "(e.g. 'my-name',  or '123-abc', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
  // A valid subdomain that is not a label is told about its dots, not the regex.
  EXPECT_THAT(is_dns1123_label("a.b"), ElementsAre("must not contain dots"));
  std::string long_dotted = std::string(40, 'a') + "." + std::string(40, 'b');
  EXPECT_THAT(is_dns1123_label(long_dotted),
              ElementsAre("must be no more than 63 characters", "must not contain dots"));
}

TEST(ValidationTest, Dns1123Subdomain) {
  for (const std::string& v : std::vector<std::string>{"a",
                                                       "ab",
                                                       "abc",
                                                       "a1",
                                                       "a-1",
                                                       "a--1--2--b",
                                                       "0",
                                                       "01",
                                                       "012",
                                                       "1a",
                                                       "1-a",
                                                       "1--a--b--2",
                                                       "a.a",
                                                       "ab.a",
                                                       "abc.a",
                                                       "a1.a",
                                                       "a-1.a",
                                                       "a--1--2--b.a",
                                                       "a.1",
                                                       "ab.1",
                                                       "abc.1",
                                                       "a1.1",
                                                       "a-1.1",
                                                       "a--1--2--b.1",
                                                       "0.a",
                                                       "01.a",
                                                       "012.a",
                                                       "1a.a",
                                                       "1-a.a",
                                                       "0.1",
                                                       "01.1",
                                                       "012.1",
                                                       "1a.1",
                                                       "1-a.1",
                                                       "1--a--b--2.1",
                                                       "a.b.c.d.e",
                                                       "aa.bb.cc.dd.ee",
                                                       "1.2.3.4.5",
                                                       "11.22.33.44.55",
                                                       std::string(253, 'a')}) {
    EXPECT_THAT(is_dns1123_subdomain(v), IsEmpty()) << v;
    EXPECT_TRUE(dns1123_subdomain_ok(v)) << v;
  }
  for (const std::string& v : std::vector<std::string>{"",
                                                       "A",
                                                       "ABC",
                                                       "aBc",
                                                       "A1",
                                                       "A-1",
                                                       "1-A",
                                                       "-",
                                                       "a-",
                                                       "-a",
                                                       "1-",
                                                       "-1",
                                                       "_",
                                                       "a_",
                                                       "_a",
                                                       "a_b",
                                                       "1_",
                                                       "_1",
                                                       "1_2",
                                                       ".",
                                                       "a.",
                                                       ".a",
                                                       "a..b",
                                                       "1.",
                                                       ".1",
                                                       "1..2",
                                                       " ",
                                                       "a ",
                                                       " a",
                                                       "a b",
                                                       "1 ",
                                                       " 1",
                                                       "1 2",
                                                       "A.a",
                                                       "aB.a",
                                                       "ab.A",
                                                       "A1.a",
                                                       "a1.A",
                                                       "A.1",
                                                       "aB.1",
                                                       "A1.1",
                                                       "1A.1",
                                                       "0.A",
                                                       "01.A",
                                                       "012.A",
                                                       "1A.a",
                                                       "1a.A",
                                                       "A.B.C.D.E",
                                                       "AA.BB.CC.DD.EE",
                                                       "a.B.c.d.e",
                                                       "aa.bB.cc.dd.ee",
                                                       "a@b",
                                                       "a,b",
                                                       "a_b",
                                                       "a;b",
                                                       "a:b",
                                                       "a%b",
                                                       "a?b",
                                                       "a$b",
                                                       std::string(254, 'a')}) {
    EXPECT_THAT(is_dns1123_subdomain(v), Not(IsEmpty())) << v;
    EXPECT_FALSE(dns1123_subdomain_ok(v)) << v;
  }
}

TEST(ValidationTest, Dns1123SubdomainMessages) {
  EXPECT_THAT(is_dns1123_subdomain("Foo"),
              ElementsAre("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                          "characters, '-' or '.', and must start and end with an alphanumeric "
                          "character (e.g. 'example.com', regex used for validation is "
                          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
  EXPECT_THAT(is_dns1123_subdomain(std::string(254, 'a')),
              ElementsAre("must be no more than 253 characters"));
  EXPECT_EQ(is_dns1123_subdomain(std::string(254, 'A')).size(), 2u);
}

TEST(ValidationTest, Dns1035Label) {
  for (const std::string& v : std::vector<std::string>{"a", "ab", "abc", "a1", "a-1", "a--1--2--b",
                                                       std::string(63, 'a')}) {
    EXPECT_THAT(is_dns1035_label(v), IsEmpty()) << v;
  }
  for (const std::string& v : std::vector<std::string>{
           "0",   "01",  "012", "1a",  "1-a", "1--a--b--2", "",    "A",
           "ABC", "aBc", "A1",  "A-1", "1-A", "-",          "a-",  "-a",
           "1-",  "-1",  "_",   "a_",  "_a",  "a_b",        "1_",  "_1",
           "1_2", ".",   "a.",  ".a",  "a.b", "1.",         ".1",  "1.2",
           " ",   "a ",  " a",  "a b", "1 ",  " 1",         "1 2", std::string(64, 'a')}) {
    EXPECT_THAT(is_dns1035_label(v), Not(IsEmpty())) << v;
  }
  EXPECT_THAT(is_dns1035_label("1abc"),
              ElementsAre("a DNS-1035 label must consist of lower case alphanumeric characters or "
                          "'-', start with an alphabetic character, and end with an alphanumeric "
                          "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                          "'[a-z]([-a-z0-9]*[a-z0-9])?')"));
}

TEST(ValidationTest, QualifiedName) {
  for (const std::string& v : std::vector<std::string>{
           "simple", "now-with-dashes", "1-starts-with-num", "1234", "simple/simple",
           "now-with-dashes/simple", "now-with-dashes/now-with-dashes", "now.with.dots/simple",
           "now-with.dashes-and.dots/simple", "1-num.2-num/3-num", "1234/5678", "1.2.3.4/5678",
           "Uppercase_Is_OK_123", "example.com/Uppercase_Is_OK_123", "requests.storage-foo",
           std::string(63, 'a'), std::string(253, 'a') + "/" + std::string(63, 'b')}) {
    EXPECT_THAT(is_qualified_name(v), IsEmpty()) << v;
    EXPECT_TRUE(qualified_name_ok(v)) << v;
  }
  for (const std::string& v : std::vector<std::string>{
           "nospecialchars%^=@", "cantendwithadash-", "-cantstartwithadash-", "only/one/slash",
           "Example.com/abc", "example_com/abc", "example.com/", "/simple", std::string(64, 'a'),
           std::string(254, 'a') + "/abc"}) {
    EXPECT_THAT(is_qualified_name(v), Not(IsEmpty())) << v;
    EXPECT_FALSE(qualified_name_ok(v)) << v;
  }
}

TEST(ValidationTest, QualifiedNameMessages) {
  const std::string name_regex =
      "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
      "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
      "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  EXPECT_THAT(is_qualified_name("app:monolith"), ElementsAre("name part " + name_regex));
  EXPECT_THAT(is_qualified_name("a/b/c"),
              ElementsAre("a qualified name " + name_regex +
                          " with an optional DNS subdomain prefix and '/' (e.g. "
                          "'example.com/MyName')"));
  EXPECT_THAT(is_qualified_name("/simple"), ElementsAre("prefix part must be non-empty"));
  EXPECT_THAT(is_qualified_name("example.com/"),
              ElementsAre("name part must be non-empty", "name part " + name_regex));
  EXPECT_THAT(is_qualified_name(std::string(64, 'a')),
              ElementsAre("name part must be no more than 63 characters"));
  auto prefixed = is_qualified_name("app.kubernetes_io/name");
  ASSERT_EQ(prefixed.size(), 1u);
  EXPECT_EQ(prefixed[0].rfind("prefix part a lowercase RFC 1123 subdomain must consist", 0), 0u);
}

TEST(ValidationTest, LabelValue) {
  for (const std::string& v :
       std::vector<std::string>{"simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1",
                                "1234", std::string(63, 'a'), ""}) {
    EXPECT_THAT(is_valid_label_value(v), IsEmpty()) << v;
    EXPECT_TRUE(label_value_ok(v)) << v;
  }
  for (const std::string& v :
       std::vector<std::string>{"nospecialchars%^=@", "Tama-nui-te-rā.is.Māori.sun",
                                "\\backslashes\\are\\bad", "-starts-with-dash", "ends-with-dash-",
                                ".starts.with.dot", "ends.with.dot.", std::string(64, 'a')}) {
    EXPECT_THAT(is_valid_label_value(v), Not(IsEmpty())) << v;
    EXPECT_FALSE(label_value_ok(v)) << v;
  }
  EXPECT_THAT(is_valid_label_value("demo-{nginx}"),
              ElementsAre("a valid label must be an empty string or consist of alphanumeric "
                          "characters, '-', '_' or '.', and must start and end with an "
                          "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
                          "regex used for validation is "
                          "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
  EXPECT_THAT(is_valid_label_value(std::string(64, 'a')),
              ElementsAre("must be no more than 63 characters"));
}

TEST(ValidationTest, CIdentifier) {
  for (const std::string& v : std::vector<std::string>{
           "a", "ab", "abc", "a1", "_a", "a_", "a_b", "a_1", "__123_abc", "_123", "A", "AB", "AbC",
           "A1", "_A", "A_", "A_B", "A_1", "__123_ABC"}) {
    EXPECT_THAT(is_c_identifier(v), IsEmpty()) << v;
  }
  for (const std::string& v :
       std::vector<std::string>{"", "1", "123", "1a", "-", "a-", "-a", "a-b", "a b", "1-", "1_",
                                "1_2", "#a#", "a.b", "á"}) {
    EXPECT_THAT(is_c_identifier(v), Not(IsEmpty())) << v;
  }
  EXPECT_THAT(is_c_identifier("1x"),
              ElementsAre("a valid C identifier must start with alphabetic character or '_', "
                          "followed by a string of alphanumeric characters or '_' (e.g. "
                          "'my_name',  or 'MY_NAME',  or 'MyName', regex used for validation is "
                          "'[A-Za-z_][A-Za-z0-9_]*')"));
}

TEST(ValidationTest, PortNum) {
  for (int64_t p : {1, 2, 1000, 16384, 32768, 65535}) EXPECT_THAT(is_valid_port_num(p), IsEmpty());
  for (int64_t p : {0, -1, 65536, 100000}) {
    EXPECT_THAT(is_valid_port_num(p), ElementsAre("must be between 1 and 65535, inclusive"));
  }
  EXPECT_THAT(is_in_range(25, 10, 25), IsEmpty());
  EXPECT_THAT(is_in_range(5, -4, 2), ElementsAre("must be between -4 and 2, inclusive"));
}

TEST(ValidationTest, PortName) {
  for (const std::string& v : std::vector<std::string>{"telnet", "re-mail-ck", "pop3", "a", "a-1",
                                                       "1-a", "a-1-b-2-c", "1-a-2-b-3"}) {
    EXPECT_THAT(is_valid_port_name(v), IsEmpty()) << v;
  }
  for (const std::string& v :
       std::vector<std::string>{"longerthan15characters", "", std::string(16, 'a'), "12345",
                                "1-2-3-4", "-begin", "end-", "two--hyphens", "whois++"}) {
    EXPECT_THAT(is_valid_port_name(v), Not(IsEmpty())) << v;
  }
  EXPECT_THAT(is_valid_port_name("12345"), ElementsAre("must contain at least one letter (a-z)"));
  EXPECT_THAT(
      is_valid_port_name("-BAD--"),
      ElementsAre("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                  "must contain at least one letter (a-z)", "must not contain consecutive hyphens",
                  "must not begin or end with a hyphen"));
  EXPECT_THAT(is_valid_port_name(std::string(16, 'a')),
              ElementsAre("must be no more than 15 characters"));
}

TEST(ValidationTest, Ip) {
  for (const std::string& v : std::vector<std::string>{
           "0.0.0.0", "1.1.1.1", "255.255.255.255", "127.0.0.1", "001.002.003.004", "10.01.1.1",
           "::", "::1", "2001:db8::ffff", "2001:db8:0:0:0:0:0:1", "fe80::1", "::ffff:1.2.3.4",
           "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:8", "1::8", "ABCD:ef01::"}) {
    EXPECT_THAT(is_valid_ip(v), IsEmpty()) << v;
    EXPECT_TRUE(ip_ok(v)) << v;
  }
  for (const std::string& v : std::vector<std::string>{"",
                                                       "a",
                                                       "1",
                                                       "1.2.3",
                                                       "1.2.3.4.5",
                                                       "256.1.1.1",
                                                       "1.2.3.-1",
                                                       "1.2.3.4/24",
                                                       " 1.2.3.4",
                                                       "1.2.3.4 ",
                                                       "1..3.4",
                                                       "fe80::1%eth0",
                                                       ":::1",
                                                       "1::2::3",
                                                       "1:2:3:4:5:6:7:8:9",
                                                       "1:2:3:4:5:6:7:1.2.3.4",
                                                       "1:2:3:4:5:6:7:8::",
                                                       "12345::",
                                                       "1:",
                                                       ":1",
                                                       "::1.2.3",
                                                       "0x1.2.3.4",
                                                       "[::1]"}) {
    EXPECT_THAT(is_valid_ip(v),
                ElementsAre("must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
        << v;
    EXPECT_FALSE(ip_ok(v)) << v;
  }
}

}  // namespace
}  // namespace bosun::api
