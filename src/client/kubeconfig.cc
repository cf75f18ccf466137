#include "client/kubeconfig.h"

#include <fstream>
#include <sstream>

#include "api/decode.h"
#include "common/json.h"

namespace bosun::client {
namespace {

Error bad(std::string message) { return make_error(ErrorCode::kBadRequest, std::move(message)); }

// RFC 4648 base64 as Go's StdEncoding decodes the *-data fields; whitespace is ignored.
Result<std::string> decode_base64(std::string_view in, std::string_view field) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  for (char c : in) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    int v = value(c);
    if (v < 0 || padding > 0) return bad("illegal base64 data in " + std::string(field));
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (padding > 2) return bad("illegal base64 data in " + std::string(field));
  return out;
}

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

std::string str(const Json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The named entry of a kubeconfig list ("clusters", "contexts", "users"): its inner object
// (`cluster`, `context`, `user`).
Result<Json> named(const Json& config, const char* list, const char* inner, const std::string& name,
                   const char* kind) {
  auto it = config.find(list);
  if (it != config.end() && it->is_array()) {
    for (const auto& entry : *it) {
      if (entry.is_object() && str(entry, "name") == name) {
        auto in = entry.find(inner);
        if (in == entry.end() || in->is_null()) return Json::object();
        if (!in->is_object()) return bad(std::string(list) + " entry \"" + name + "\" is invalid");
        return *in;
      }
    }
  }
  return make_error(ErrorCode::kNotFound, std::string(kind) + " \"" + name + "\" does not exist");
}

// A PEM given inline (base64 "*-data", which wins as in clientcmd) or as a file path.
Result<std::string> pem(const Json& o, const char* data_key, const char* file_key,
                        const std::string& base_dir) {
  std::string data = str(o, data_key);
  if (!data.empty()) return decode_base64(data, data_key);
  std::string file = str(o, file_key);
  if (file.empty()) return std::string();
  return read_file(resolve(base_dir, file));
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "open " + path + ": no such file or directory");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<ClientConfig> parse_kubeconfig(std::string_view yaml, const std::string& base_dir,
                                      std::string_view context) {
  api::DecodeOptions options;
  options.fail_on_duplicates = false;
  BOSUN_ASSIGN_OR_RETURN(api::Decoded decoded, api::decode_document(yaml, options));
  const Json& config = decoded.value;
  if (!config.is_object()) return bad("kubeconfig is not a mapping");
  std::string context_name(context);
  if (context_name.empty()) context_name = str(config, "current-context");
  if (context_name.empty()) return bad("current-context is not set");
  BOSUN_ASSIGN_OR_RETURN(Json ctx, named(config, "contexts", "context", context_name, "context"));
  BOSUN_ASSIGN_OR_RETURN(Json cluster,
                         named(config, "clusters", "cluster", str(ctx, "cluster"), "cluster"));
  Json user = Json::object();
  if (!str(ctx, "user").empty()) {
    BOSUN_ASSIGN_OR_RETURN(user, named(config, "users", "user", str(ctx, "user"), "user"));
  }
  ClientConfig c;
  c.server = str(cluster, "server");
  if (c.server.empty()) return bad("cluster \"" + str(ctx, "cluster") + "\" has no server");
  auto skip = cluster.find("insecure-skip-tls-verify");
  c.insecure_skip_tls_verify = skip != cluster.end() && skip->is_boolean() && skip->get<bool>();
  BOSUN_ASSIGN_OR_RETURN(
      c.ca_pem, pem(cluster, "certificate-authority-data", "certificate-authority", base_dir));
  BOSUN_ASSIGN_OR_RETURN(c.client_cert_pem,
                         pem(user, "client-certificate-data", "client-certificate", base_dir));
  BOSUN_ASSIGN_OR_RETURN(c.client_key_pem, pem(user, "client-key-data", "client-key", base_dir));
  if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
    return bad("client-cert and client-key must be specified together");
  }
  c.token = str(user, "token");
  if (c.token.empty() && !str(user, "tokenFile").empty()) {
    c.token_file = resolve(base_dir, str(user, "tokenFile"));
  }
  return c;
}

Result<ClientConfig> load_kubeconfig(const std::string& path, std::string_view context) {
  BOSUN_ASSIGN_OR_RETURN(std::string text, read_file(path));
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return parse_kubeconfig(text, dir, context);
}

Result<ClientConfig> token_file_config(std::string server, const std::string& ca_file,
                                       const std::string& token_file) {
  ClientConfig c;
  c.server = std::move(server);
  BOSUN_ASSIGN_OR_RETURN(c.ca_pem, read_file(ca_file));
  c.token_file = token_file;
  BOSUN_ASSIGN_OR_RETURN(std::string token, read_file(token_file));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.empty()) return bad("token file " + token_file + " is empty");
  return c;
}

}  // namespace bosun::client
