// The optional libraries loaded on first use (libcurl, libarchive): a node without them gets an
// Error naming the library and what needs it, never a crash; with them, the tables work.
#include "runtime/dynamic_library.h"

#include <gtest/gtest.h>

#include "runtime/libarchive.h"
#include "runtime/libcurl.h"

namespace bosun::runtime {
namespace {

TEST(DynamicLibraryTest, MissingLibraryIsAnError) {
  auto lib = DynamicLibrary::open("libbosun-missing.so.1", "to test");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kInternal);
  EXPECT_EQ(
      lib.error().message.rfind("libbosun-missing.so.1 is needed to test but cannot be loaded: "
                                "libbosun-missing.so.1: cannot open shared object file",
                                0),
      0u)
      << lib.error().message;
}

TEST(DynamicLibraryTest, MissingSymbolIsAnError) {
  auto lib = DynamicLibrary::open("libz.so.1", "to test");
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  int (*fn)(void) = nullptr;
  auto r = lib->resolve("bosun_no_such_function", fn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_EQ(r.error().message.rfind(
                "libz.so.1 is needed to test but has no symbol bosun_no_such_function: ", 0),
            0u)
      << r.error().message;
  EXPECT_EQ(fn, nullptr);
}

TEST(DynamicLibraryTest, MissingLibcurlSaysWhatNeedsIt) {
  auto c = load_libcurl("libcurl-missing.so.4");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInternal);
  EXPECT_EQ(c.error().message.rfind("libcurl-missing.so.4 is needed to pull images from "
                                    "registries but cannot be loaded: ",
                                    0),
            0u)
      << c.error().message;
}

TEST(DynamicLibraryTest, LibraryWithoutTheFunctionsIsAnError) {
  // A library that exists but is not libcurl (or is too old to have a function we call).
  auto c = load_libcurl("libz.so.1");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind("libz.so.1 is needed to pull images from registries but "
                                    "has no symbol curl_global_init: ",
                                    0),
            0u)
      << c.error().message;
  auto a = load_libarchive("libz.so.1");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message.rfind("libz.so.1 is needed to unpack image layers and archives "
                                    "but has no symbol archive_error_string: ",
                                    0),
            0u)
      << a.error().message;
}

TEST(DynamicLibraryTest, MissingLibarchiveSaysWhatNeedsIt) {
  auto a = load_libarchive("libarchive-missing.so.13");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message.rfind("libarchive-missing.so.13 is needed to unpack image layers "
                                    "and archives but cannot be loaded: ",
                                    0),
            0u)
      << a.error().message;
}

TEST(DynamicLibraryTest, InstalledLibrariesLoadOnceAndWork) {
  auto c = libcurl();
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto again = libcurl();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*c, *again);
  CURL* h = (*c)->easy_init();
  ASSERT_NE(h, nullptr);
  char* escaped = (*c)->easy_escape(h, "a b/c", 5);
  ASSERT_NE(escaped, nullptr);
  EXPECT_STREQ(escaped, "a%20b%2Fc");
  (*c)->free(escaped);
  (*c)->easy_cleanup(h);

  auto a = libarchive();
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(*a, *libarchive());
  archive* r = (*a)->read_new();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ((*a)->read_support_format_tar(r), ARCHIVE_OK);
  EXPECT_EQ((*a)->read_free(r), ARCHIVE_OK);
}

}  // namespace
}  // namespace bosun::runtime
