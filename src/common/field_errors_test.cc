#include "common/field_errors.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

TEST(FieldErrors, WordsInvalidLikeKubernetes) {
  FieldErrors errs;
  errs.invalid("metadata.name", "Foo", "a lowercase RFC 1123 subdomain must consist of lower case");
  Error e = errs.to_error("Pod", "Foo");
  EXPECT_EQ(e.code, ErrorCode::kInvalid);
  EXPECT_EQ(e.http_code(), 422);
  EXPECT_EQ(e.message,
            "Pod \"Foo\" is invalid: metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 "
            "subdomain must consist of lower case");
  ASSERT_EQ(e.causes.size(), 1u);
  EXPECT_EQ(e.causes[0].reason, "FieldValueInvalid");
  EXPECT_EQ(e.causes[0].field, "metadata.name");
}

TEST(FieldErrors, AggregatesSeveralInBrackets) {
  FieldErrors errs;
  errs.required("spec.containers");
  errs.not_supported("spec.restartPolicy", "Sometimes", {"Always", "OnFailure", "Never"});
  EXPECT_EQ(errs.aggregate_message(),
            "[spec.containers: Required value, spec.restartPolicy: Unsupported value: "
            "\"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"]");
}

TEST(FieldErrors, QuotesLikeGo) { EXPECT_EQ(go_quote("a\"b\n"), "\"a\\\"b\\n\""); }

}  // namespace
}  // namespace bosun
