// The SPDY exec bridge as kubectl 1.27-1.29 and the agent see it: kubectl's streams answered one by
// one, its stdin, stdin close and resizes turned into the agent's WebSocket channels, the agent's
// output held until kubectl opened the stream it belongs to, and the exit status on the error
// stream in the shape each remotecommand version reads.
#include "apiserver/spdy_exec_bridge.h"

#include <gtest/gtest.h>

#include <set>

namespace bosun::apiserver {
namespace {

const std::string kExit3 =
    R"({"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})";

// kubectl's side of the connection, and the agent's, around one bridge.
class Harness {
 public:
  explicit Harness(SpdyExecOptions options) : bridge_(std::move(options)) {
    UpstreamHead head;
    head.status = 101;
    head.headers.add("Sec-WebSocket-Protocol", "v5.channel.k8s.io");
    head_ = bridge_.switching_protocols(head);
  }

  // kubectl sends frames; returns what kubectl reads back.
  std::vector<SpdyFrame> client_sends(const std::string& bytes) {
    BridgeOutput o;
    bridge_.from_client(bytes, &o);
    return absorb(o);
  }
  std::vector<SpdyFrame> open(uint32_t id, const char* type) {
    return client_sends(client_writer_.syn_stream(id, {{"streamtype", type}}));
  }
  std::vector<SpdyFrame> agent_sends(const std::string& bytes) {
    BridgeOutput o;
    bridge_.from_upstream(bytes, &o);
    return absorb(o);
  }
  std::vector<SpdyFrame> agent_ends() {
    BridgeOutput o;
    bridge_.upstream_ended(&o);
    return absorb(o);
  }
  // Agent messages since the last call.
  std::vector<WebSocketMessage> agent_got() { return std::exchange(agent_messages_, {}); }

  Response head_;
  SpdyWriter client_writer_;
  bool client_closed_ = false;
  bool upstream_closed_ = false;

 private:
  std::vector<SpdyFrame> absorb(BridgeOutput& o) {
    std::vector<SpdyFrame> frames;
    auto r = client_parser_.feed(o.to_client, &frames);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    // The agent requires masked client frames (RFC 6455 5.1).
    auto w = agent_parser_.feed(o.to_upstream, &agent_messages_);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
    client_closed_ = client_closed_ || o.close_client;
    upstream_closed_ = upstream_closed_ || o.close_upstream;
    return frames;
  }

  SpdyExecBridge bridge_;
  SpdyParser client_parser_;
  WebSocketParser agent_parser_{true};
  std::vector<WebSocketMessage> agent_messages_;
};

SpdyExecOptions options(std::string protocol, bool stdin, bool tty = false) {
  SpdyExecOptions o;
  o.protocol = std::move(protocol);
  o.stdin = stdin;
  o.stdout = true;
  o.stderr = !tty;
  o.tty = tty;
  return o;
}

TEST(SpdyExecBridge, AnswersWithTheSpdyUpgradeAndTheChosenVersion) {
  Harness h(options("v4.channel.k8s.io", false));
  EXPECT_EQ(h.head_.status, 101);
  EXPECT_EQ(h.head_.headers.get("Upgrade").value_or(""), "SPDY/3.1");
  EXPECT_EQ(h.head_.headers.get("Connection").value_or(""), "Upgrade");
  EXPECT_EQ(h.head_.headers.get("X-Stream-Protocol-Version").value_or(""), "v4.channel.k8s.io");
}

TEST(SpdyExecBridge, NegotiatesTheNewestVersionKubectlOffers) {
  const std::vector<std::string_view> ours(std::begin(kSpdyExecProtocols),
                                           std::end(kSpdyExecProtocols));
  // kubectl 1.27 sends one field per version.
  EXPECT_EQ(
      choose_stream_protocol(
          {"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"}, ours),
      "v4.channel.k8s.io");
  EXPECT_EQ(choose_stream_protocol({"v5.channel.k8s.io, v4.channel.k8s.io"}, ours),
            "v5.channel.k8s.io");
  EXPECT_EQ(choose_stream_protocol({"channel.k8s.io"}, ours), "");
  Error e = negotiation_error({"channel.k8s.io", "x"}, ours);
  EXPECT_EQ(e.code, ErrorCode::kForbidden);
  EXPECT_EQ(e.message,
            "unable to upgrade: unable to negotiate protocol: client supports [channel.k8s.io x], "
            "server supports [v5.channel.k8s.io v4.channel.k8s.io v3.channel.k8s.io "
            "v2.channel.k8s.io]");
}

TEST(SpdyExecBridge, WantsSpdyOnlyForAnUpgradeToSpdy31) {
  Request r;
  r.headers.add("Connection", "Upgrade");
  r.headers.add("Upgrade", "SPDY/3.1");
  EXPECT_TRUE(wants_spdy(r));
  Request ws;
  ws.headers.add("Connection", "Upgrade");
  ws.headers.add("Upgrade", "websocket");
  EXPECT_FALSE(wants_spdy(ws));
  Request plain;
  EXPECT_FALSE(wants_spdy(plain));
}

TEST(SpdyExecBridge, ExecWithStdinEndsWithTheExitCodeStatus) {
  Harness h(options("v4.channel.k8s.io", true));
  // kubectl waits for each SYN_REPLY before opening the next stream.
  auto replies = h.open(1, "error");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].type, SpdyFrameType::kSynReply);
  EXPECT_EQ(replies[0].stream_id, 1u);
  // The command already wrote before kubectl opened stdout: held back.
  EXPECT_TRUE(h.agent_sends(encode_channel_frame(kStdoutChannel, "early ")).empty());
  EXPECT_EQ(h.open(3, "stdin").size(), 1u);
  auto out = h.open(5, "stdout");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, SpdyFrameType::kSynReply);
  EXPECT_EQ(out[1].type, SpdyFrameType::kData);
  EXPECT_EQ(out[1].stream_id, 5u);
  EXPECT_EQ(out[1].data, "early ");
  EXPECT_EQ(h.open(7, "stderr").size(), 1u);

  h.client_sends(h.client_writer_.data(3, "abc"));
  h.client_sends(h.client_writer_.data(3, "", true));  // stdin's end
  auto msgs = h.agent_got();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].payload, std::string("\0abc", 4));
  EXPECT_EQ(msgs[1].payload, std::string("\xff\0", 2));  // v5: close channel 0

  out = h.agent_sends(encode_channel_frame(kStdoutChannel, "abc") +
                      encode_channel_frame(kStderrChannel, "warn"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].stream_id, 5u);
  EXPECT_EQ(out[0].data, "abc");
  EXPECT_EQ(out[1].stream_id, 7u);
  EXPECT_EQ(out[1].data, "warn");

  out = h.agent_sends(encode_channel_frame(kErrorChannel, kExit3) + encode_close_frame(1000));
  // The status on the error stream, FIN on every stream kubectl reads, then GOAWAY.
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].stream_id, 1u);
  EXPECT_EQ(out[0].data, kExit3);
  std::set<uint32_t> fins;
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_TRUE(out[i].fin());
    EXPECT_EQ(out[i].data, "");
    fins.insert(out[i].stream_id);
  }
  EXPECT_EQ(fins, (std::set<uint32_t>{1, 5, 7}));
  EXPECT_EQ(out[4].type, SpdyFrameType::kGoAway);
  EXPECT_EQ(out[4].stream_id, 7u);
  EXPECT_EQ(out[4].status, kSpdyGoAwayOk);
  EXPECT_TRUE(h.upstream_closed_);
  // kubectl closes the connection once it has read everything.
  EXPECT_FALSE(h.client_closed_);
}

TEST(SpdyExecBridge, TheSessionEndsOnlyOnceKubectlOpenedEveryStream) {
  Harness h(options("v4.channel.k8s.io", false));
  h.open(1, "error");
  // `echo hi` finished before kubectl opened stdout and stderr.
  auto out =
      h.agent_sends(encode_channel_frame(kStdoutChannel, "hi\n") +
                    encode_channel_frame(kErrorChannel, R"({"metadata":{},"status":"Success"})") +
                    encode_close_frame(1000));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(h.upstream_closed_);
  out = h.open(3, "stdout");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].data, "hi\n");
  out = h.open(5, "stderr");
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out[0].type, SpdyFrameType::kSynReply);
  EXPECT_EQ(out[1].stream_id, 1u);
  EXPECT_EQ(out[1].data, R"({"metadata":{},"status":"Success"})");
  EXPECT_EQ(out.back().type, SpdyFrameType::kGoAway);
  EXPECT_TRUE(h.upstream_closed_);
}

TEST(SpdyExecBridge, V2AndV3GetOnlyTheFailureMessage) {
  for (const char* v : {"v2.channel.k8s.io", "v3.channel.k8s.io"}) {
    Harness h(options(v, false));
    h.open(1, "error");
    h.open(3, "stdout");
    h.open(5, "stderr");
    auto out = h.agent_sends(encode_channel_frame(kErrorChannel, kExit3));
    EXPECT_TRUE(out.empty());
    out = h.agent_sends(encode_close_frame(1000));
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].stream_id, 1u);
    EXPECT_EQ(out[0].data,
              "command terminated with non-zero exit code: error executing command [sh -c exit "
              "3], exit code 3")
        << v;
  }
  Harness ok(options("v3.channel.k8s.io", false));
  ok.open(1, "error");
  ok.open(3, "stdout");
  ok.open(5, "stderr");
  auto out = ok.agent_sends(encode_channel_frame(kErrorChannel, R"({"status":"Success"})") +
                            encode_close_frame(1000));
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(out[0].fin());  // no message: the error stream just ends
  EXPECT_EQ(out[0].data, "");
}

TEST(SpdyExecBridge, TtyResizesBecomeOneChannelFourMessageEach) {
  Harness h(options("v4.channel.k8s.io", true, true));
  h.open(1, "error");
  h.open(3, "stdin");
  h.open(5, "stdout");
  h.open(7, "resize");
  // kubectl's json.Encoder: one object per line, possibly split across frames.
  h.client_sends(h.client_writer_.data(7, "{\"Width\":80,\"Height\":24}\n{\"Width\":1"));
  h.client_sends(h.client_writer_.data(7, "00,\"Height\":30}\n"));
  auto msgs = h.agent_got();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].payload, "\x04{\"Width\":80,\"Height\":24}");
  EXPECT_EQ(msgs[1].payload, "\x04{\"Width\":100,\"Height\":30}");
  // With a tty there is no stderr stream to wait for.
  auto out = h.agent_sends(encode_channel_frame(kErrorChannel, R"({"status":"Success"})") +
                           encode_close_frame(1000));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().type, SpdyFrameType::kGoAway);
}

TEST(SpdyExecBridge, PingsAreEchoedAndUnknownStreamsRefused) {
  Harness h(options("v4.channel.k8s.io", false));
  auto out = h.client_sends(h.client_writer_.ping(1));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, SpdyFrameType::kPing);
  EXPECT_EQ(out[0].ping_id, 1u);
  out = h.open(1, "bogus");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, SpdyFrameType::kRstStream);
  EXPECT_EQ(out[0].status, kSpdyRefusedStream);
  out = h.open(1, "error");  // a stream id that does not grow
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status, kSpdyProtocolError);
}

TEST(SpdyExecBridge, GarbageFromTheClientEndsBothSidesWithAProtocolError) {
  Harness h(options("v4.channel.k8s.io", false));
  auto out = h.client_sends(std::string("\x80\x02\x00\x01\x00\x00\x00\x00", 8));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, SpdyFrameType::kGoAway);
  EXPECT_EQ(out[0].status, kSpdyGoAwayProtocolError);
  EXPECT_TRUE(h.client_closed_);
  EXPECT_TRUE(h.upstream_closed_);
}

TEST(SpdyExecBridge, AnAgentThatVanishesWithoutAStatusIsAnInternalError) {
  Harness h(options("v4.channel.k8s.io", false));
  h.open(1, "error");
  h.open(3, "stdout");
  h.open(5, "stderr");
  auto out = h.agent_ends();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].stream_id, 1u);
  Json status = Json::parse(out[0].data);
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["reason"], "InternalError");
  EXPECT_EQ(out.back().type, SpdyFrameType::kGoAway);
}

}  // namespace
}  // namespace bosun::apiserver
