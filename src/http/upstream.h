// Outbound HTTPS calls whose answer is relayed as it arrives: the API server's proxy of pods/log
// (a streamed body) and of pods/exec and pods/attach (a 101, then raw bytes both ways) to the node
// agent, as Kubernetes' UpgradeAwareHandler proxies them to the kubelet. One io thread serves every
// call of a client. Thread-safe: calls may be made, written to and closed from any thread;
// callbacks run on the io thread and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/http_message.h"

namespace bosun::apiserver {

struct UpstreamTls {
  // The client certificate presented to the upstream (the kubelet checks it against the cluster
  // CA, --kubelet-client-certificate in kube-apiserver).
  std::string client_cert_pem;
  std::string client_key_pem;
  // Verifies the upstream's serving certificate when set; empty trusts any, as kube-apiserver
  // does with kubelets unless --kubelet-certificate-authority is given.
  std::string ca_pem;
};

struct UpstreamRequest {
  std::string host;  // an IP address or a name
  uint16_t port = 0;
  std::string method = "GET";
  std::string target;  // origin-form: "/containerLogs/ns/pod/c?follow=true"
  Headers headers;     // Host is added
};

// The upstream's status line and header fields.
struct UpstreamHead {
  int status = 0;
  Headers headers;
};

struct UpstreamHandlers {
  // Once: the response's head, or why none came (connect, TLS or protocol error: an error with
  // kServiceUnavailable or kInternal).
  std::function<void(Result<UpstreamHead>)> on_head;
  // The body as it arrives, de-chunked; after a 101, the raw bytes the upstream sends.
  std::function<void(std::string_view)> on_data;
  // Once, after on_head succeeded: the body ended (ok) or the connection broke (an error).
  std::function<void(Result<void>)> on_end;
};

// One call in flight.
class UpstreamCall {
 public:
  virtual ~UpstreamCall() = default;
  // After a 101: bytes for the upstream, queued. Returns false once the call is over.
  virtual bool write(std::string data) = 0;
  // Ends the call (after the queued bytes, for an upgraded one); on_end runs if it has not.
  virtual void close() = 0;
};

class UpstreamClient {
 public:
  static Result<std::unique_ptr<UpstreamClient>> create(UpstreamTls tls);
  ~UpstreamClient();  // ends every call in flight
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  std::shared_ptr<UpstreamCall> call(
      UpstreamRequest request, UpstreamHandlers handlers,
      std::chrono::milliseconds connect_timeout = std::chrono::seconds(10));

  struct Impl;

 private:
  explicit UpstreamClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bosun::apiserver
