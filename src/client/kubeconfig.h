// How a component reaches the API server: the server URL, the CA to trust and the credentials to
// present, loaded from a kubeconfig file (as kubectl and client-go's clientcmd read it) or built in
// code for agents joining with the node token. Used by RestClient and every component's main. Pure
// functions over value types; safe from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun::client {

struct ClientConfig {
  std::string server;  // "https://host:port", optionally with a path prefix
  // PEM of the CA(s) the server's certificate must chain to; empty with !insecure_skip_tls_verify
  // means the system's default trust store.
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  // A client certificate, presented when both are set.
  std::string client_cert_pem;
  std::string client_key_pem;
  // A bearer token; when token is empty and token_file is set, the file is re-read about once a
  // minute (client-go's cached token source), so a rotated token is picked up.
  std::string token;
  std::string token_file;

  // Transport settings (not in a kubeconfig; client-go's rest.Config fields).
  std::string user_agent = "bosun";           // components set "bosun/<component>"
  double qps = 0;                             // client-side rate limit; 0 = off
  int burst = 0;                              // token bucket size; < 1 means 1 when qps > 0
  std::chrono::milliseconds timeout{30'000};  // per request, connect + write + read
  // Keep-alive connections kept for reuse: client-go's transport cache keeps 25 per host
  // (idleConnsPerHost). Fewer than a controller's parallel writes (a ReplicaSet creates up to 16
  // pods at once) closed the surplus after each batch, and the next batch paid a TLS handshake
  // per connection on both ends again.
  size_t max_idle_connections = 25;
};

// Parses kubeconfig YAML. `context` picks a context by name (empty: current-context). Relative file
// paths (certificate-authority, client-certificate, client-key, tokenFile) resolve against
// `base_dir`, as clientcmd resolves them against the kubeconfig's own directory. Errors are
// BadRequest for malformed input and NotFound for a missing context, cluster or user, worded as
// kubectl words them (`context "x" does not exist`).
Result<ClientConfig> parse_kubeconfig(std::string_view yaml, const std::string& base_dir,
                                      std::string_view context = "");

// Reads and parses the kubeconfig at `path` (e.g. the one `bosun server` writes to
// <data-dir>/kubeconfig).
Result<ClientConfig> load_kubeconfig(const std::string& path, std::string_view context = "");

// The in-code configuration of an agent joining a cluster: server URL, the cluster CA's PEM file
// and a file holding the bearer token (D/node-token). Both files are read now.
Result<ClientConfig> token_file_config(std::string server, const std::string& ca_file,
                                       const std::string& token_file);

// Reads a whole file; NotFound when it does not exist.
Result<std::string> read_file(const std::string& path);

}  // namespace bosun::client
