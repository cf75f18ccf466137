// CRI log lines as the kubelet parses them (no root needed).
#include "runtime/runc_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace bosun::runtime {
namespace {

// 2016-10-06T00:17:09.669794202Z, the CRI documentation's example.
constexpr int64_t kExample = 1475713029LL * 1000000000 + 669794202;

TEST(CriLog, TimestampHasNineDigitsInUtc) {
  char buf[40];
  size_t n = format_cri_timestamp(kExample, buf);
  EXPECT_EQ(std::string(buf, n), "2016-10-06T00:17:09.669794202Z");
  n = format_cri_timestamp(1475713029LL * 1000000000 + 5, buf);
  EXPECT_EQ(std::string(buf, n), "2016-10-06T00:17:09.000000005Z");
}

TEST(CriLog, LineFormat) {
  EXPECT_EQ(format_cri_log_line(kExample, "stdout", false, "hello world"),
            "2016-10-06T00:17:09.669794202Z stdout F hello world\n");
  EXPECT_EQ(format_cri_log_line(kExample, "stderr", true, ""),
            "2016-10-06T00:17:09.669794202Z stderr P \n");
}

class SplitterTest : public ::testing::Test {
 protected:
  void SetUp() override { file_ = std::tmpfile(); }
  void TearDown() override { std::fclose(file_); }
  std::string written() {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    return out;
  }
  std::FILE* file_ = nullptr;
};

TEST_F(SplitterTest, SplitsLinesAcrossReadsAndDropsCarriageReturns) {
  CriLineSplitter s(fileno(file_), "stdout");
  s.feed("one\ntw", 6, kExample);
  s.feed("o\r\n\nthree", 9, kExample);
  s.finish(kExample);
  EXPECT_EQ(written(),
            "2016-10-06T00:17:09.669794202Z stdout F one\n"
            "2016-10-06T00:17:09.669794202Z stdout F two\n"
            "2016-10-06T00:17:09.669794202Z stdout F \n"
            "2016-10-06T00:17:09.669794202Z stdout F three\n");
}

TEST_F(SplitterTest, LongLinesArePartial) {
  CriLineSplitter s(fileno(file_), "stderr");
  std::string big(kCriMaxLineBytes + 10, 'x');
  big += "\n";
  s.feed(big.data(), big.size(), kExample);
  std::string prefix = "2016-10-06T00:17:09.669794202Z stderr ";
  EXPECT_EQ(written(), prefix + "P " + std::string(kCriMaxLineBytes, 'x') + "\n" + prefix + "F " +
                           std::string(10, 'x') + "\n");
}

TEST_F(SplitterTest, NothingPendingWritesNothing) {
  CriLineSplitter s(fileno(file_), "stdout");
  s.finish(kExample);
  EXPECT_EQ(written(), "");
}

}  // namespace
}  // namespace bosun::runtime
