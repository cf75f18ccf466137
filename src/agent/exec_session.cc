#include "agent/exec_session.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "agent/container_logs.h"
#include "common/json.h"
#include "common/log.h"
#include "http/websocket.h"

namespace bosun::agent {

using apiserver::Response;

void ExecSessions::add(const std::shared_ptr<Session>& s) {
  std::lock_guard lock(mu_);
  sessions_.insert(s);
}
void ExecSessions::remove(const std::shared_ptr<Session>& s) {
  std::lock_guard lock(mu_);
  sessions_.erase(s);
}
void ExecSessions::stop_all() {
  std::set<std::shared_ptr<Session>> all;
  {
    std::lock_guard lock(mu_);
    all = sessions_;
  }
  for (const auto& s : all) s->stop();
}

std::string exec_status_json(int exit_code) {
  Json status = {{"metadata", Json::object()}};
  if (exit_code == 0) {
    status["status"] = "Success";
  } else {
    // What the kubelet's remotecommand server writes for a utilexec.ExitError; kubectl reads the
    // ExitCode cause and exits with it ("command terminated with exit code N").
    status["status"] = "Failure";
    status["message"] =
        "command terminated with non-zero exit code: exit status " + std::to_string(exit_code);
    status["reason"] = "NonZeroExitCode";
    status["details"] = {{"causes", Json::array({{{"reason", "ExitCode"},
                                                  {"message", std::to_string(exit_code)}}})}};
  }
  return status.dump();
}

namespace {

// Queued output above this waits for the client to read, so a chatty command cannot fill memory.
constexpr size_t kMaxQueuedOutput = 4 << 20;

class Session final : public ExecSessions::Session, public std::enable_shared_from_this<Session> {
 public:
  Session(ExecRequest request, std::unique_ptr<ExecProcess> process,
          std::unique_ptr<runtime::AttachConnection> attach, bool v5)
      : request_(std::move(request)),
        process_(std::move(process)),
        attach_(std::move(attach)),
        attached_(attach_ != nullptr),
        v5_(v5) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  }
  ~Session() override {
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
  }

  void attach(std::shared_ptr<apiserver::UpgradedStream> ws) override { ws_ = std::move(ws); }

  void stop() override {
    client_gone_.store(true);
    log_cancel_.cancel();
    wake();
  }

  // On the connection's io thread.
  void on_data(std::string_view data) override {
    std::vector<apiserver::WebSocketMessage> messages;
    if (!parser_.feed(data, &messages).ok()) {
      ws_->close();
      return stop();
    }
    for (auto& m : messages) {
      if (m.opcode == apiserver::kWsPing) {
        ws_->write(apiserver::encode_websocket_frame(apiserver::kWsPong, m.payload));
      } else if (m.opcode == apiserver::kWsClose) {
        // The client is done (or answered our close): nothing more goes to it.
        if (!closing_sent_.exchange(true)) ws_->write(apiserver::encode_close_frame(1000));
        ws_->close();
        stop();
      } else if (m.opcode == apiserver::kWsBinary && !m.payload.empty()) {
        on_channel(static_cast<uint8_t>(m.payload[0]), std::string_view(m.payload).substr(1));
      }
    }
  }

  void run() override {
    if (attached_) {
      run_attach_stream();
    } else if (request_.attach) {
      run_attach();
    } else {
      run_exec();
    }
  }

 private:
  void wake() {
    if (wake_[1] >= 0) {
      char c = 1;
      (void)::write(wake_[1], &c, 1);
    }
  }

  void on_channel(uint8_t channel, std::string_view data) {
    if (channel == apiserver::kStdinChannel) {
      if (!request_.spec.stdin) return;
      std::lock_guard lock(mu_);
      stdin_queue_.append(data);
      wake();
    } else if (channel == apiserver::kResizeChannel) {
      Json size = Json::parse(data, nullptr, false);
      if (size.is_object() && size.contains("Width") && size.contains("Height") &&
          size["Width"].is_number_unsigned() && size["Height"].is_number_unsigned()) {
        auto width = size["Width"].get<uint16_t>();
        auto height = size["Height"].get<uint16_t>();
        if (process_) {
          process_->resize(width, height);
        } else if (attached_) {
          // The connection belongs to the session's thread.
          std::lock_guard lock(mu_);
          resize_ = std::make_pair(width, height);
          wake();
        }
      }
    } else if (channel == apiserver::kCloseChannel && v5_ && !data.empty() &&
               static_cast<uint8_t>(data[0]) == apiserver::kStdinChannel) {
      std::lock_guard lock(mu_);
      stdin_close_ = true;
      wake();
    }
  }

  void send(uint8_t channel, std::string_view data) {
    while (ws_->queued_bytes() > kMaxQueuedOutput && !client_gone_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ws_->write(apiserver::encode_channel_frame(channel, data));
  }

  void finish(int exit_code) {
    if (client_gone_.load()) {
      ws_->close();
      return;
    }
    ws_->write(
        apiserver::encode_channel_frame(apiserver::kErrorChannel, exec_status_json(exit_code)));
    if (!closing_sent_.exchange(true)) ws_->write(apiserver::encode_close_frame(1000));
    ws_->close();
  }

  void run_exec() {
    int out = process_->stdout_fd();
    int err = process_->stderr_fd();
    const bool tty = request_.spec.tty;
    std::vector<char> buf(32 * 1024);
    while (out >= 0 || err >= 0) {
      if (client_gone_.load()) {
        process_->kill();
        break;
      }
      std::string to_stdin;
      bool close_stdin = false;
      {
        std::lock_guard lock(mu_);
        to_stdin.swap(stdin_queue_);
        close_stdin = stdin_close_;
      }
      int in = process_->stdin_fd();
      if (!to_stdin.empty() && in >= 0) {
        // Non-blocking: what the pipe does not take now is put back in front of the queue.
        ssize_t n = ::write(in, to_stdin.data(), to_stdin.size());
        size_t done = n > 0 ? static_cast<size_t>(n) : 0;
        if (done < to_stdin.size()) {
          std::lock_guard lock(mu_);
          stdin_queue_.insert(0, to_stdin.substr(done));
        }
      }
      {
        std::lock_guard lock(mu_);
        if (close_stdin && stdin_queue_.empty() && !stdin_closed_) {
          stdin_closed_ = true;
          process_->close_stdin();
        }
      }
      pollfd fds[4];
      int nfds = 0;
      fds[nfds++] = {wake_[0], POLLIN, 0};
      int out_i = -1, err_i = -1, in_i = -1;
      if (out >= 0) {
        out_i = nfds;
        fds[nfds++] = {out, POLLIN, 0};
      }
      if (err >= 0) {
        err_i = nfds;
        fds[nfds++] = {err, POLLIN, 0};
      }
      bool pending_stdin;
      {
        std::lock_guard lock(mu_);
        pending_stdin = !stdin_queue_.empty();
      }
      if (pending_stdin && process_->stdin_fd() >= 0 && !tty) {
        in_i = nfds;
        fds[nfds++] = {process_->stdin_fd(), POLLOUT, 0};
      }
      (void)in_i;
      int r = ::poll(fds, nfds, pending_stdin && tty ? 10 : 1000);
      if (r < 0 && errno != EINTR) break;
      if (fds[0].revents & POLLIN) {
        char drain[64];
        while (::read(wake_[0], drain, sizeof drain) > 0) {
        }
      }
      auto pump = [&](int idx, int& fd, uint8_t channel, bool wanted) {
        if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n > 0) {
          if (wanted) send(channel, std::string_view(buf.data(), n));
          return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        // EOF, or EIO from a pty master once the process is gone.
        fd = -1;
      };
      pump(out_i, out, apiserver::kStdoutChannel, request_.stdout || tty);
      pump(err_i, err, apiserver::kStderrChannel, request_.stderr);
    }
    auto code = process_->wait();
    finish(code.ok() ? *code : 1);
  }

  // The container monitor's attach socket: input and resizes go to it, its output to the client,
  // until the container's output ends (or, without stdinOnce, the client's input does: the
  // monitor then ends this client's session, as containerd does).
  void run_attach_stream() {
    runtime::AttachConnection& c = *attach_;
    const bool tty = request_.spec.tty;
    // Once a write fails the monitor has closed the connection (the container ended): what it
    // sent before still waits in the socket, and is read to the end rather than dropped.
    bool writable = true;
    while (!client_gone_.load()) {
      if (writable) {
        std::lock_guard lock(mu_);
        if (!stdin_queue_.empty()) {
          c.write_stdin(stdin_queue_);
          stdin_queue_.clear();
        }
        if (stdin_close_ && !stdin_closed_) {
          stdin_closed_ = true;
          c.close_stdin();
        }
        if (resize_) {
          c.resize(resize_->first, resize_->second);
          resize_.reset();
        }
      } else {
        std::lock_guard lock(mu_);
        stdin_queue_.clear();  // nobody reads it any more
        resize_.reset();
      }
      if (writable && !c.flush()) writable = false;
      pollfd fds[2] = {
          {wake_[0], POLLIN, 0},
          {c.fd(), static_cast<short>(POLLIN | (writable && c.has_pending() ? POLLOUT : 0)), 0}};
      int r = ::poll(fds, 2, 1000);
      if (r < 0 && errno != EINTR) break;
      if (fds[0].revents & POLLIN) {
        char drain[64];
        while (::read(wake_[0], drain, sizeof drain) > 0) {
        }
      }
      bool ended = false;
      // A bounded batch, so input and resizes are not starved by a chatty container.
      for (int i = 0; i < 64 && !ended; ++i) {
        runtime::AttachConnection::Output out;
        auto got = c.read(&out);
        if (got == runtime::AttachConnection::ReadResult::kAgain) break;
        if (got == runtime::AttachConnection::ReadResult::kEnd) {
          ended = true;
        } else if (out.stream == runtime::kAttachStdout || tty) {
          if (request_.stdout || tty) send(apiserver::kStdoutChannel, out.data);
        } else if (request_.stderr) {
          send(apiserver::kStderrChannel, out.data);
        }
      }
      if (ended) break;
    }
    // Detaching: with stdinOnce the monitor now closes the container's stdin.
    attach_.reset();
    finish(0);
  }

  void run_attach() {
    LogOptions lo;
    lo.follow = true;
    lo.tail_lines = 0;
    FollowControl fc;
    fc.cancel = &log_cancel_;
    fc.container_running = request_.container_running;
    auto sink = [this](LogStream stream, std::string_view data) {
      if (client_gone_.load()) return false;
      if (stream == LogStream::kStdout && request_.stdout) {
        send(apiserver::kStdoutChannel, data);
      } else if (stream == LogStream::kStderr && (request_.stderr || request_.spec.tty)) {
        send(request_.spec.tty ? apiserver::kStdoutChannel : apiserver::kStderrChannel, data);
      }
      return true;
    };
    auto done = read_container_log(request_.log_path, lo, sink, fc);
    if (!done.ok()) SPDLOG_DEBUG("agent: attach ended: {}", done.error().message);
    finish(0);
  }

  ExecRequest request_;
  std::unique_ptr<ExecProcess> process_;
  std::unique_ptr<runtime::AttachConnection> attach_;  // the session's thread only
  const bool attached_;
  const bool v5_;
  std::shared_ptr<apiserver::UpgradedStream> ws_;
  apiserver::WebSocketParser parser_{true};  // io thread only
  int wake_[2] = {-1, -1};
  std::atomic<bool> client_gone_{false};
  std::atomic<bool> closing_sent_{false};
  LogCancel log_cancel_;
  std::mutex mu_;  // guards the stdin state below
  std::string stdin_queue_;
  bool stdin_close_ = false;
  bool stdin_closed_ = false;
  std::optional<std::pair<uint16_t, uint16_t>> resize_;
};

}  // namespace

void serve_exec(const std::shared_ptr<apiserver::Exchange>& exchange, ExecRequest request,
                const ExecStarter& starter, const std::shared_ptr<ExecSessions>& sessions,
                const std::function<void(std::function<void()>)>& run) {
  const auto& req = exchange->request();
  std::string protocol =
      apiserver::choose_channel_protocol(req.headers.get_all("Sec-WebSocket-Protocol"));
  if (!req.wants_websocket() || protocol.empty()) {
    // SPDY (kubectl before 1.30) is not served: kubectl 1.30+ retries nothing and older ones
    // report this.
    return exchange->respond(Response::error(make_error(
        ErrorCode::kBadRequest,
        "Upgrade request required: WebSocket with v5.channel.k8s.io or v4.channel.k8s.io")));
  }
  std::unique_ptr<ExecProcess> process;
  std::unique_ptr<runtime::AttachConnection> attach;
  if (!request.attach) {
    auto started = starter(request.spec);
    if (!started.ok()) return exchange->respond(Response::error(started.error()));
    process = std::move(started).value();
  } else if (request.attach_connect) {
    auto connected = request.attach_connect(request.spec.stdin);
    if (connected.ok()) {
      attach = std::move(connected).value();
    } else if (connected.error().code != ErrorCode::kNotFound) {
      return exchange->respond(Response::error(connected.error()));
    }
  }
  Response head;
  head.status = 101;
  head.content_type.clear();
  head.headers.add("Upgrade", "websocket");
  head.headers.add("Connection", "Upgrade");
  head.headers.add("Sec-WebSocket-Accept",
                   apiserver::websocket_accept_key(req.header("Sec-WebSocket-Key")));
  head.headers.add("Sec-WebSocket-Protocol", protocol);
  run_upgraded_session(
      exchange, std::move(head),
      std::make_shared<Session>(std::move(request), std::move(process), std::move(attach),
                                protocol == apiserver::kChannelProtocolV5),
      sessions, run);
}

void run_upgraded_session(const std::shared_ptr<apiserver::Exchange>& exchange,
                          apiserver::Response head, std::shared_ptr<ExecSessions::Session> session,
                          const std::shared_ptr<ExecSessions>& sessions,
                          const std::function<void(std::function<void()>)>& run) {
  auto ws = exchange->upgrade(std::move(head));
  if (!ws) return;
  session->attach(ws);
  sessions->add(session);
  std::weak_ptr<ExecSessions::Session> weak = session;
  ws->start(
      [weak](std::string_view data) {
        if (auto s = weak.lock()) s->on_data(data);
      },
      [weak] {
        if (auto s = weak.lock()) s->stop();
      });
  run([session, sessions] {
    session->run();
    sessions->remove(session);
  });
}

}  // namespace bosun::agent
