#include "runtime/reference.h"

#include <gtest/gtest.h>

namespace bosun::runtime {
namespace {

struct Normalized {
  const char* input;
  const char* domain;
  const char* path;
  const char* tag;
  const char* digest;
  const char* docker_ref;
  const char* familiar;
};

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(ImageReference, NormalizesLikeDocker) {
  const std::string d = kDigest;
  const Normalized cases[] = {
      {"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
       "busybox:latest"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
       "busybox:1.36"},
      {"library/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/user/app:v2", "docker.io", "user/app", "v2", "", "docker.io/user/app:v2",
       "user/app:v2"},
      {"user/app", "docker.io", "user/app", "latest", "", "docker.io/user/app:latest",
       "user/app:latest"},
      {"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest",
       "localhost/app:latest"},
      {"127.0.0.1:5000/test/busybox:v1", "127.0.0.1:5000", "test/busybox", "v1", "",
       "127.0.0.1:5000/test/busybox:v1", "127.0.0.1:5000/test/busybox:v1"},
      {"registry.k8s.io/pause:3.9", "registry.k8s.io", "pause", "3.9", "",
       "registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"},
      {"[::1]:5000/app", "[::1]:5000", "app", "latest", "", "[::1]:5000/app:latest",
       "[::1]:5000/app:latest"},
      {"Example.com/app", "Example.com", "app", "latest", "", "Example.com/app:latest",
       "Example.com/app:latest"},
      {"a-b__c---e/f_g.h", "docker.io", "a-b__c---e/f_g.h", "latest", "",
       "docker.io/a-b__c---e/f_g.h:latest", "a-b__c---e/f_g.h:latest"},
      // A first component with a '.' is taken as a host; one that is not a valid host leaves the
      // name without a domain, exactly as distribution's regular expression does.
      {"a_b.c/d", "", "a_b.c/d", "latest", "", "a_b.c/d:latest", "a_b.c/d:latest"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    auto ref = parse_image_reference(c.input);
    ASSERT_TRUE(ref.ok()) << ref.error().message;
    EXPECT_EQ(ref->domain, c.domain);
    EXPECT_EQ(ref->path, c.path);
    EXPECT_EQ(ref->tag, c.tag);
    EXPECT_EQ(ref->digest, c.digest);
    EXPECT_EQ(ref->docker_ref(), c.docker_ref);
    EXPECT_EQ(ref->familiar(), c.familiar);
  }
}

TEST(ImageReference, Digests) {
  auto ref = parse_image_reference("busybox@" + kDigest);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(ref->tag, "");  // no default tag when a digest pins the image
  EXPECT_EQ(ref->digest, kDigest);
  EXPECT_EQ(ref->string(), "docker.io/library/busybox@" + kDigest);

  // containerd's ParseDockerRef keeps only the digest of "name:tag@digest".
  ref = parse_image_reference("host:5000/app:v1@" + kDigest);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(ref->tag, "v1");
  EXPECT_EQ(ref->string(), "host:5000/app:v1@" + kDigest);
  EXPECT_EQ(ref->docker_ref(), "host:5000/app@" + kDigest);
}

TEST(ImageReference, ErrorsAsDistributionWordsThem) {
  const std::string upper_digest = "sha256:" + std::string(64, 'A');
  const std::pair<std::string, std::string> cases[] = {
      {"", "invalid reference format"},
      {"Busybox", "invalid reference format: repository name (library/Busybox) must be lowercase"},
      {"busyBOX:latest",
       "invalid reference format: repository name (library/busyBOX) must be lowercase"},
      {"user/App", "invalid reference format: repository name (user/App) must be lowercase"},
      {"busybox:", "invalid reference format"},
      {"busybox::1", "invalid reference format"},
      {"bu sybox", "invalid reference format"},
      {"https://registry.example.com/app", "invalid reference format"},
      {"registry.hub.docker.com/library//nginx:latest", "invalid reference format"},
      {":sha-0b293ab", "invalid reference format"},
      {"-busybox", "invalid reference format"},
      {"busybox:" + std::string(129, 'a'), "invalid reference format"},
      {"busybox@sha256:abc", "invalid reference format"},
      {"busybox@sha256:" + std::string(63, 'a'), "invalid checksum digest length"},
      {"busybox@" + upper_digest, "invalid checksum digest format"},
      {"busybox@md5:" + std::string(32, 'a'), "unsupported digest algorithm"},
      {std::string(64, 'a'), "invalid repository name (" + std::string(64, 'a') +
                                 "), cannot specify 64-byte hexadecimal strings"},
      {"example.com/" + std::string(250, 'a'),
       "repository name must not be more than 255 characters"},
  };
  for (const auto& [input, message] : cases) {
    SCOPED_TRACE(input);
    auto ref = parse_image_reference(input);
    ASSERT_FALSE(ref.ok()) << ref->string();
    EXPECT_EQ(ref.error().code, ErrorCode::kInvalid);
    EXPECT_EQ(ref.error().message, message);
  }
}

TEST(ImageReference, KubeletInspectFailedMessage) {
  auto ref = parse_image_reference("THIS IS NOT A VALID IMAGE REFERENCE!!");
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(invalid_image_name_message("THIS IS NOT A VALID IMAGE REFERENCE!!", ref.error()),
            "Failed to apply default image tag \"THIS IS NOT A VALID IMAGE REFERENCE!!\": couldn't "
            "parse image name \"THIS IS NOT A VALID IMAGE REFERENCE!!\": invalid reference format: "
            "repository name (library/THIS IS NOT A VALID IMAGE REFERENCE!!) must be lowercase");
}

TEST(ImageReference, ValidateDigest) {
  std::string why;
  EXPECT_TRUE(validate_digest(kDigest, &why));
  EXPECT_TRUE(validate_digest("sha512:" + std::string(128, '0')));
  EXPECT_FALSE(validate_digest("sha256", &why));
  EXPECT_EQ(why, "invalid checksum digest format");
  EXPECT_FALSE(validate_digest("sha256:" + std::string(65, 'a'), &why));
  EXPECT_EQ(why, "invalid checksum digest length");
}

}  // namespace
}  // namespace bosun::runtime
