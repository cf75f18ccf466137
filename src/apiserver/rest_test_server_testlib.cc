#include "apiserver/rest_test_server.h"

#include <stdlib.h>

#include <filesystem>

#include "apiserver/gzip.h"

namespace bosun::apiserver::testing {

Result<std::unique_ptr<RestTestServer>> RestTestServer::start(RestTestServerOptions options) {
  std::unique_ptr<RestTestServer> s(new RestTestServer());
  if (options.data_dir.empty()) {
    char tmpl[] = "/tmp/bosun-rest-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return make_error(ErrorCode::kInternal, "mkdtemp failed");
    s->dir_ = tmpl;
    s->owns_dir_ = true;
  } else {
    s->dir_ = options.data_dir;
  }
  ApiStackOptions o;
  o.data_dir = s->dir_;
  o.listen = "127.0.0.1:0";
  o.io_threads = options.io_threads;
  o.worker_threads = options.worker_threads;
  o.clock = options.clock;
  o.metrics = options.metrics;
  o.durable = options.durable;
  o.watch_cache = options.watch_cache;
  o.service_cidr = options.service_cidr;
  o.allocator_seed = 42;
  auto stack = ApiStack::start(std::move(o));
  if (!stack.ok()) {
    if (s->owns_dir_) std::filesystem::remove_all(s->dir_);
    return std::move(stack).error();
  }
  s->stack_ = std::move(stack).value();
  return s;
}

RestTestServer::~RestTestServer() {
  stop();
  if (owns_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void RestTestServer::stop() {
  if (stack_) stack_->shutdown(std::chrono::milliseconds(0));
  stack_.reset();
}

Result<std::unique_ptr<TestClient>> RestTestServer::connect(std::chrono::milliseconds timeout) {
  TestClientOptions o;
  o.ca_pem = stack_->server().pki().ca.cert_pem;
  o.client_cert = stack_->server().pki().admin;
  o.timeout = timeout;
  return TestClient::connect(port(), std::move(o));
}

Result<Reply> call(TestClient& client, const Call& c) {
  Headers h;
  if (!c.accept.empty()) h.add("Accept", c.accept);
  if (!c.body.empty() || c.method == "POST" || c.method == "PUT" || c.method == "PATCH") {
    h.add("Content-Type", c.content_type);
  }
  h.add("User-Agent", "rest-test/v0.0.0");
  return client.request(c.method, c.target, h, c.body);
}

Result<Reply> get(TestClient& client, std::string_view target, std::string_view accept) {
  return call(client, Call{"GET", std::string(target), "", "", std::string(accept)});
}

Result<Reply> post(TestClient& client, std::string_view target, const Json& body) {
  return call(client, Call{"POST", std::string(target), body.dump()});
}

Result<Reply> put(TestClient& client, std::string_view target, const Json& body) {
  return call(client, Call{"PUT", std::string(target), body.dump()});
}

Result<Reply> patch(TestClient& client, std::string_view target, std::string_view content_type,
                    std::string_view body) {
  return call(client,
              Call{"PATCH", std::string(target), std::string(body), std::string(content_type)});
}

Result<Reply> del(TestClient& client, std::string_view target, std::string_view body) {
  return call(client, Call{"DELETE", std::string(target), std::string(body)});
}

Json body_json(const Reply& reply) {
  std::string body = reply.body;
  if (auto enc = reply.headers.get("Content-Encoding"); enc && *enc == "gzip") {
    auto plain = gzip_decompress(body, 64 << 20);
    if (plain.ok()) body = std::move(plain).value();
  }
  return Json::parse(body, nullptr, false);
}

}  // namespace bosun::apiserver::testing
