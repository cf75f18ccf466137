// The attach socket without a container: a hub over a pipe standing in for the container's stdin,
// clients through AttachConnection. Output reaches every client; input reaches the pipe only from
// clients that attached stdin; stdinOnce without a terminal closes the container's stdin when the
// first attach's input ends (containerd's CRI attach), otherwise the client's session ends and
// stdin stays open; resize messages reach the handler; close_all ends every session.
#include "runtime/container_attach.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace bosun::runtime {
namespace {

using Clock = std::chrono::steady_clock;

class AttachHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bosun-attach-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(::pipe2(stdin_pipe_, O_CLOEXEC), 0);
  }
  void TearDown() override {
    hub_.reset();
    if (stdin_pipe_[0] >= 0) ::close(stdin_pipe_[0]);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void make_hub(AttachOptions options, bool with_stdin = true) {
    auto listen = listen_attach_socket(dir_);
    ASSERT_TRUE(listen.ok()) << listen.error().message;
    hub_ = std::make_unique<AttachHub>(*listen, with_stdin ? stdin_pipe_[1] : -1, true, options);
    if (!with_stdin) ::close(stdin_pipe_[1]);
    stdin_pipe_[1] = -1;
    ::fcntl(stdin_pipe_[0], F_SETFL, ::fcntl(stdin_pipe_[0], F_GETFL) | O_NONBLOCK);
  }

  // One round of the monitor's loop: poll the hub's descriptors briefly and handle them.
  void pump() {
    std::vector<pollfd> fds;
    hub_->poll_fds(&fds);
    if (::poll(fds.data(), fds.size(), 10) > 0) {
      for (const pollfd& p : fds) hub_->on_event(p.fd, p.revents);
    }
  }

  std::unique_ptr<AttachConnection> connect(bool stdin) {
    auto c = AttachConnection::connect(dir_, stdin);
    EXPECT_TRUE(c.ok()) << c.error().message;
    if (!c.ok()) return nullptr;
    // The hub has accepted and read its hello once it counts it and the hello is consumed.
    size_t before = hub_->client_count();
    for (auto end = Clock::now() + std::chrono::seconds(5);
         hub_->client_count() == before && Clock::now() < end;) {
      pump();
    }
    for (int i = 0; i < 5; ++i) pump();
    return std::move(c).value();
  }

  // What the pipe (the container's stdin) received until `want` bytes arrived, or EOF.
  std::string read_stdin(size_t want, bool* eof = nullptr) {
    std::string got;
    for (auto end = Clock::now() + std::chrono::seconds(5); Clock::now() < end;) {
      pump();
      char buf[256];
      ssize_t n = ::read(stdin_pipe_[0], buf, sizeof buf);
      if (n > 0) got.append(buf, static_cast<size_t>(n));
      if (n == 0) {
        if (eof) *eof = true;
        break;
      }
      if (want > 0 && got.size() >= want) break;
    }
    return got;
  }

  // Output a client receives until the hub ends its session or `want` bytes arrived.
  std::string read_output(AttachConnection& c, size_t want, bool* ended = nullptr,
                          std::vector<AttachKind>* kinds = nullptr) {
    std::string got;
    for (auto end = Clock::now() + std::chrono::seconds(5); Clock::now() < end;) {
      pump();
      AttachConnection::Output out;
      auto r = c.read(&out);
      if (r == AttachConnection::ReadResult::kEnd) {
        if (ended) *ended = true;
        break;
      }
      if (r == AttachConnection::ReadResult::kData) {
        got += out.data;
        if (kinds) kinds->push_back(out.stream);
      }
      if (want > 0 && got.size() >= want) break;
    }
    return got;
  }

  void send(AttachConnection& c) {
    for (auto end = Clock::now() + std::chrono::seconds(5);
         c.has_pending() && Clock::now() < end;) {
      ASSERT_TRUE(c.flush());
      pump();
    }
    ASSERT_FALSE(c.has_pending());
  }

  std::string dir_;
  int stdin_pipe_[2] = {-1, -1};
  std::unique_ptr<AttachHub> hub_;
};

TEST_F(AttachHubTest, OutputReachesEveryClientWithItsStream) {
  make_hub({.stdin = true});
  auto a = connect(false);
  auto b = connect(true);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(hub_->client_count(), 2u);
  hub_->broadcast(kAttachStdout, "out\n", 4);
  hub_->broadcast(kAttachStderr, "err\n", 4);
  std::vector<AttachKind> kinds;
  EXPECT_EQ(read_output(*a, 8, nullptr, &kinds), "out\nerr\n");
  EXPECT_EQ(kinds, (std::vector<AttachKind>{kAttachStdout, kAttachStderr}));
  EXPECT_EQ(read_output(*b, 8), "out\nerr\n");
}

TEST_F(AttachHubTest, LargeOutputArrivesWhole) {
  make_hub({});
  auto a = connect(false);
  ASSERT_TRUE(a);
  std::string big(200 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  hub_->broadcast(kAttachStdout, big.data(), big.size());
  EXPECT_EQ(read_output(*a, big.size()), big);
}

TEST_F(AttachHubTest, InputOnlyFromClientsThatAttachedStdin) {
  make_hub({.stdin = true});
  auto watcher = connect(false);
  auto typer = connect(true);
  ASSERT_TRUE(watcher && typer);
  watcher->write_stdin("ignored\n");
  send(*watcher);
  typer->write_stdin("hello\n");
  send(*typer);
  EXPECT_EQ(read_stdin(6), "hello\n");
}

TEST_F(AttachHubTest, StdinOnceClosesTheContainersStdinWhenTheFirstAttachEndsItsInput) {
  make_hub({.stdin = true, .stdin_once = true});
  auto c = connect(true);
  ASSERT_TRUE(c);
  c->write_stdin("last words\n");
  c->close_stdin();
  send(*c);
  bool eof = false;
  EXPECT_EQ(read_stdin(0, &eof), "last words\n");
  EXPECT_TRUE(eof) << "stdinOnce: the container's stdin must reach EOF";
  EXPECT_FALSE(hub_->stdin_open());
  // The session stays for the output that follows (the container answering its last input).
  EXPECT_EQ(hub_->client_count(), 1u);
  hub_->broadcast(kAttachStdout, "bye\n", 4);
  EXPECT_EQ(read_output(*c, 4), "bye\n");
}

TEST_F(AttachHubTest, StdinOnceClosesStdinWhenTheAttachedClientGoesAway) {
  make_hub({.stdin = true, .stdin_once = true});
  auto c = connect(true);
  ASSERT_TRUE(c);
  c->write_stdin("x");
  send(*c);
  c.reset();
  bool eof = false;
  EXPECT_EQ(read_stdin(0, &eof), "x");
  EXPECT_TRUE(eof);
}

TEST_F(AttachHubTest, WithoutStdinOnceStdinStaysOpenAndTheSessionEnds) {
  make_hub({.stdin = true});
  auto c = connect(true);
  ASSERT_TRUE(c);
  c->write_stdin("one\n");
  c->close_stdin();
  send(*c);
  EXPECT_EQ(read_stdin(4), "one\n");
  bool ended = false;
  read_output(*c, 0, &ended);
  EXPECT_TRUE(ended) << "the client's output ends with its input (containerd)";
  EXPECT_TRUE(hub_->stdin_open());
  // The next attach still reaches the same stdin.
  auto next = connect(true);
  ASSERT_TRUE(next);
  next->write_stdin("two\n");
  send(*next);
  bool eof = false;
  EXPECT_EQ(read_stdin(4, &eof), "two\n");
  EXPECT_FALSE(eof);
}

TEST_F(AttachHubTest, WithATerminalStdinOnceDoesNotCloseStdin) {
  make_hub({.stdin = true, .stdin_once = true, .tty = true});
  auto c = connect(true);
  ASSERT_TRUE(c);
  c->close_stdin();
  send(*c);
  bool ended = false;
  read_output(*c, 0, &ended);
  EXPECT_TRUE(ended);
  EXPECT_TRUE(hub_->stdin_open());
}

TEST_F(AttachHubTest, AContainerWithoutStdinTakesNoInput) {
  make_hub({}, /*with_stdin=*/false);
  auto c = connect(true);
  ASSERT_TRUE(c);
  c->write_stdin("nobody reads this");
  send(*c);
  bool eof = false;
  EXPECT_EQ(read_stdin(0, &eof), "");
  EXPECT_TRUE(eof);  // the pipe's write end was never the hub's
  EXPECT_EQ(hub_->client_count(), 1u);
}

TEST_F(AttachHubTest, ResizeReachesTheHandler) {
  make_hub({.stdin = true, .tty = true});
  std::vector<std::pair<int, int>> sizes;
  hub_->set_resize_handler([&](uint16_t w, uint16_t h) { sizes.emplace_back(w, h); });
  auto c = connect(true);
  ASSERT_TRUE(c);
  c->resize(300, 1000);
  send(*c);
  for (auto end = Clock::now() + std::chrono::seconds(5); sizes.empty() && Clock::now() < end;) {
    pump();
  }
  EXPECT_EQ(sizes, (std::vector<std::pair<int, int>>{{300, 1000}}));
}

TEST_F(AttachHubTest, CloseAllEndsEverySessionAfterItsOutput) {
  make_hub({});
  auto c = connect(false);
  ASSERT_TRUE(c);
  hub_->broadcast(kAttachStdout, "final\n", 6);
  hub_->close_all(1000);
  bool ended = false;
  EXPECT_EQ(read_output(*c, 0, &ended), "final\n");
  EXPECT_TRUE(ended);
  EXPECT_EQ(hub_->client_count(), 0u);
}

TEST(AttachConnection, NoSocketIsNotFound) {
  auto c = AttachConnection::connect("/nonexistent-bosun-dir", false);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
}

TEST(AttachConnection, LongBundlePathsWork) {
  char tmpl[] = "/tmp/bosun-attach-long-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = std::string(tmpl) + "/" + std::string(60, 'a') + "/" + std::string(60, 'b');
  std::filesystem::create_directories(dir);
  auto listen = listen_attach_socket(dir);
  ASSERT_TRUE(listen.ok()) << listen.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir + "/" + kAttachSocketFile));
  AttachHub hub(*listen, -1, true, {});
  auto c = AttachConnection::connect(dir, false);
  EXPECT_TRUE(c.ok()) << c.error().message;
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
}

}  // namespace
}  // namespace bosun::runtime
