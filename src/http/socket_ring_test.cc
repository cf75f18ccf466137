// SocketRing on real sockets: Unix stream socket pairs, whose send and receive paths io_uring
// drives like a TCP socket's.
#include "http/socket_ring.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace bosun::apiserver {
namespace {

struct Pair {
  Pair() { ok = ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0; }
  ~Pair() {
    if (fds[0] >= 0) ::close(fds[0]);
    if (fds[1] >= 0) ::close(fds[1]);
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
  // Everything waiting on the reading end, without blocking.
  std::string drain() const {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fds[1], buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  int fds[2] = {-1, -1};
  bool ok = false;
};

std::unique_ptr<SocketRing> make_sender(unsigned entries) {
  std::string error;
  auto s = SocketRing::create(entries, &error);
  if (!s) ADD_FAILURE() << "io_uring_queue_init: " << error;
  return s;
}

TEST(SocketRingTest, SendsToEverySocketInOneCall) {
  auto sender = make_sender(32);
  ASSERT_NE(sender, nullptr);
  EXPECT_EQ(sender->capacity(), 32u);
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<std::string> payloads;
  std::vector<SocketRing::Send> sends;
  for (int i = 0; i < 20; ++i) {
    pairs.push_back(std::make_unique<Pair>());
    ASSERT_TRUE(pairs.back()->ok);
    payloads.push_back("event " + std::to_string(i) + std::string(static_cast<size_t>(i), 'x'));
  }
  for (int i = 0; i < 20; ++i) sends.push_back({pairs[i]->fds[0], payloads[i]});
  std::vector<int> results(sends.size(), 0);
  // Twice: the ring is reused call after call.
  for (int round = 0; round < 2; ++round) {
    sender->send_all(sends, results);
    for (size_t i = 0; i < sends.size(); ++i) {
      EXPECT_EQ(results[i], static_cast<int>(payloads[i].size())) << i;
      EXPECT_EQ(pairs[i]->drain(), payloads[i]) << i;
    }
  }
  EXPECT_TRUE(sender->usable());
}

TEST(SocketRingTest, AFullSocketTakesWhatFitsAndThenNothingWithoutBlocking) {
  auto sender = make_sender(8);
  ASSERT_NE(sender, nullptr);
  Pair full;
  Pair other;
  ASSERT_TRUE(full.ok && other.ok);
  int small = 4096;
  ASSERT_EQ(::setsockopt(full.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  const std::string big(1 << 20, 'b');
  const std::string hello = "hello";
  std::vector<SocketRing::Send> sends = {{full.fds[0], big}, {other.fds[0], hello}};
  std::vector<int> results(2, 0);
  sender->send_all(sends, results);
  // A part of the megabyte (never blocking for the rest); the other socket is unaffected.
  ASSERT_GT(results[0], 0);
  EXPECT_LT(results[0], static_cast<int>(big.size()));
  EXPECT_EQ(results[1], static_cast<int>(hello.size()));
  // The buffer is full now: nothing more goes, and the call still returns.
  sender->send_all(std::span(sends).first(1), std::span(results).first(1));
  EXPECT_EQ(results[0], -EAGAIN);
  EXPECT_EQ(other.drain(), hello);
  EXPECT_TRUE(sender->usable());
}

TEST(SocketRingTest, ABadDescriptorFailsOnlyItsOwnSend) {
  auto sender = make_sender(8);
  ASSERT_NE(sender, nullptr);
  Pair a;
  Pair b;
  ASSERT_TRUE(a.ok && b.ok);
  int not_a_socket = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(not_a_socket, 0);
  Pair closed;
  ASSERT_TRUE(closed.ok);
  ::close(closed.fds[1]);  // the peer is gone: EPIPE, and no SIGPIPE (MSG_NOSIGNAL)
  closed.fds[1] = -1;
  std::vector<SocketRing::Send> sends = {
      {a.fds[0], "one"}, {-1, "x"}, {not_a_socket, "y"}, {closed.fds[0], "z"}, {b.fds[0], "two"}};
  std::vector<int> results(sends.size(), 0);
  sender->send_all(sends, results);
  EXPECT_EQ(results[0], 3);
  EXPECT_EQ(results[1], -EBADF);
  EXPECT_EQ(results[2], -ENOTSOCK);
  EXPECT_EQ(results[3], -EPIPE);
  EXPECT_EQ(results[4], 3);
  EXPECT_EQ(a.drain(), "one");
  EXPECT_EQ(b.drain(), "two");
  EXPECT_TRUE(sender->usable());
  ::close(not_a_socket);
}

TEST(SocketRingTest, SendsBeyondCapacityAreLeftForTheCaller) {
  auto sender = make_sender(4);
  ASSERT_NE(sender, nullptr);
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<SocketRing::Send> sends;
  for (int i = 0; i < 6; ++i) {
    pairs.push_back(std::make_unique<Pair>());
    ASSERT_TRUE(pairs.back()->ok);
    sends.push_back({pairs.back()->fds[0], "abc"});
  }
  std::vector<int> results(sends.size(), 0);
  sender->send_all(sends, results);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(results[i], 3) << i;
  // Not sent, as from a full socket: the caller keeps them for later.
  EXPECT_EQ(results[4], -EAGAIN);
  EXPECT_EQ(results[5], -EAGAIN);
  EXPECT_EQ(pairs[4]->drain(), "");
}

TEST(SocketRingTest, ReceivesFromEverySocketInOneCall) {
  auto ring = make_sender(8);
  ASSERT_NE(ring, nullptr);
  Pair with_data;
  Pair empty;
  Pair closed;
  ASSERT_TRUE(with_data.ok && empty.ok && closed.ok);
  ASSERT_EQ(::send(with_data.fds[1], "event\n", 6, 0), 6);
  ::close(closed.fds[1]);  // the peer is gone: end of stream
  closed.fds[1] = -1;
  std::vector<char> a(64);
  std::vector<char> b(64);
  std::vector<char> c(64);
  std::vector<SocketRing::Recv> recvs = {
      {with_data.fds[0], a}, {empty.fds[0], b}, {closed.fds[0], c}, {-1, c}};
  std::vector<int> results(recvs.size(), 0);
  ring->recv_all(recvs, results);
  EXPECT_EQ(results[0], 6);
  EXPECT_EQ(std::string(a.data(), 6), "event\n");
  EXPECT_EQ(results[1], -EAGAIN);  // nothing there, and the call did not wait for it
  EXPECT_EQ(results[2], 0);
  EXPECT_EQ(results[3], -EBADF);
  EXPECT_TRUE(ring->usable());
}

}  // namespace
}  // namespace bosun::apiserver
