#include "store/continue_token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace bosun::store {
namespace {

using ::testing::StartsWith;

constexpr const char* kPrefix = "/registry/pods/";

TEST(ContinueToken, EncodesLikeKubernetes) {
  // storage.EncodeContinue("/registry/pods/default/foo\x00", "/registry/pods/", 5) in Go.
  auto token = encode_continue_token(std::string("/registry/pods/default/foo\0", 27), kPrefix, 5);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NSwic3RhcnQiOiJkZWZhdWx0L2Zvb1x1MDAwMCJ9");
  // Go's encoder also escapes HTML's special characters.
  token = encode_continue_token("/registry/pods/a<b>&c", kPrefix, 7);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token,
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6Nywic3RhcnQiOiJhXHUwMDNjYlx1MDAzZVx1MDAyNmMifQ");
}

TEST(ContinueToken, DecodesBackToTheAbsoluteStartKey) {
  auto position = decode_continue_token(
      "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NSwic3RhcnQiOiJkZWZhdWx0L2Zvb1x1MDAwMCJ9", kPrefix);
  ASSERT_TRUE(position.ok()) << position.error().message;
  EXPECT_EQ(position->start_key, std::string("/registry/pods/default/foo\0", 27));
  EXPECT_EQ(position->revision, 5);
}

TEST(ContinueToken, KeyOutsideThePrefixCannotBeEncoded) {
  auto token = encode_continue_token("/registry/services/default/a", kPrefix, 5);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::kInternal);
}

TEST(ContinueToken, InconsistentTokenKeepsThePositionAtTheNewestRevision) {
  auto token = inconsistent_continue_token(
      "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NSwic3RhcnQiOiJkZWZhdWx0L2Zvb1x1MDAwMCJ9", kPrefix);
  ASSERT_TRUE(token.ok());
  // handleCompactedErrorForPaging encodes the same start key with resourceVersion -1.
  EXPECT_EQ(*token,
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0IjoiZGVmYXVsdC9mb29cdTAwMDAifQ");
}

TEST(ContinueToken, RejectsWhatKubernetesRejectsWithItsWords) {
  struct Case {
    std::string json;
    std::string message;
  };
  const Case cases[] = {
      {R"({"v":"meta.k8s.io/v1","rv":0,"start":"a"})",
       "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion "
       "(version "
       "meta.k8s.io/v1)"},
      {R"({"v":"meta.k8s.io/v1","rv":3,"start":""})",
       "invalid continue token: continue key is not valid: encoded start key empty (version "
       "meta.k8s.io/v1)"},
      {R"({"v":"v2","rv":3,"start":"a"})",
       "invalid continue token: continue key is not valid: server does not recognize this encoded "
       "version v2"},
      {R"({"v":"meta.k8s.io/v1","rv":3,"start":"../secrets/x"})",
       "invalid continue token: continue key is not valid: ../secrets/x"},
      {R"({"v":"meta.k8s.io/v1","rv":3,"start":"a//b"})",
       "invalid continue token: continue key is not valid: a//b"},
  };
  for (const Case& c : cases) {
    auto position = decode_continue_token(base64url_encode(c.json), kPrefix);
    ASSERT_FALSE(position.ok()) << c.json;
    EXPECT_EQ(position.error().code, ErrorCode::kBadRequest) << c.json;
    EXPECT_EQ(position.error().message, c.message) << c.json;
  }
  for (std::string token :
       {std::string("%%%"), base64url_encode("[1,2]"), base64url_encode("{\"rv\":\"5\"}"),
        base64url_encode("{not json"), std::string("eyJ2Ijo=")}) {
    auto position = decode_continue_token(token, kPrefix);
    ASSERT_FALSE(position.ok()) << token;
    EXPECT_EQ(position.error().code, ErrorCode::kBadRequest);
    EXPECT_THAT(position.error().message,
                StartsWith("invalid continue token: continue key is not valid"))
        << token;
  }
}

TEST(Base64Url, RoundTripsEveryLengthWithoutPadding) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    std::string encoded = base64url_encode(bytes);
    EXPECT_EQ(encoded.find_first_of("=+/"), std::string::npos) << encoded;
    auto decoded = base64url_decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(i * 37 + 200));
  }
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
}

TEST(Base64Url, RejectsForeignCharactersAndImpossibleLengths) {
  EXPECT_EQ(base64url_decode("ab+c").error().message, "illegal base64 data at input byte 2");
  EXPECT_FALSE(base64url_decode("abcd=").ok()) << "RawURLEncoding takes no padding";
  EXPECT_FALSE(base64url_decode("abcde").ok()) << "one digit cannot end a quantum";
  EXPECT_EQ(*base64url_decode("YW\nJj"), "abc") << "line breaks are skipped, as Go does";
}

TEST(CleanPath, MatchesGoPathClean) {
  EXPECT_EQ(clean_path(""), ".");
  EXPECT_EQ(clean_path("/"), "/");
  EXPECT_EQ(clean_path("/a/b"), "/a/b");
  EXPECT_EQ(clean_path("/a/b/"), "/a/b");
  EXPECT_EQ(clean_path("a//b/./c"), "a/b/c");
  EXPECT_EQ(clean_path("/a/../../b"), "/b");
  EXPECT_EQ(clean_path("../a/.."), "..");
  EXPECT_EQ(clean_path("a/../.."), "..");
  EXPECT_EQ(clean_path("/.."), "/");
}

}  // namespace
}  // namespace bosun::store
