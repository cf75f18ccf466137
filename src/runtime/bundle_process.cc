#include "runtime/bundle_process.h"

#include <unordered_map>

namespace bosun::runtime {

std::string expand_kubernetes_vars(std::string_view input,
                                   const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(input.size());
  size_t i = 0;
  while (i < input.size()) {
    char c = input[i];
    if (c != '$' || i + 1 == input.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    char next = input[i + 1];
    if (next == '$') {  // escaped: "$$" is a literal "$"
      out.push_back('$');
      i += 2;
      continue;
    }
    if (next != '(') {  // a lone '$' is kept with what follows
      out.push_back('$');
      ++i;
      continue;
    }
    size_t close = input.find(')', i + 2);
    if (close == std::string_view::npos) {  // unterminated: kept as written
      out.append(input.substr(i));
      break;
    }
    std::string name(input.substr(i + 2, close - i - 2));
    auto it = vars.find(name);
    if (it != vars.end() && !name.empty()) {
      out.append(it->second);
    } else {
      out.append(input.substr(i, close - i + 1));
    }
    i = close + 1;
  }
  return out;
}

std::vector<EnvVar> resolve_container_env(const std::vector<EnvVar>& env) {
  std::map<std::string, std::string> defined;
  std::vector<EnvVar> out;
  std::unordered_map<std::string, size_t> index;
  for (const EnvVar& e : env) {
    std::string value = expand_kubernetes_vars(e.value, defined);
    defined[e.name] = value;
    auto it = index.find(e.name);
    if (it != index.end()) {
      out[it->second].value = std::move(value);
    } else {
      index.emplace(e.name, out.size());
      out.push_back(EnvVar{e.name, std::move(value)});
    }
  }
  return out;
}

Result<std::vector<std::string>> merge_command(const std::vector<std::string>& image_entrypoint,
                                               const std::vector<std::string>& image_cmd,
                                               const std::vector<std::string>& command,
                                               const std::vector<std::string>& args,
                                               const std::vector<EnvVar>& container_env) {
  std::map<std::string, std::string> vars;
  for (const EnvVar& e : container_env) vars[e.name] = e.value;
  std::vector<std::string> cmd;
  std::vector<std::string> arg;
  for (const std::string& c : command) cmd.push_back(expand_kubernetes_vars(c, vars));
  for (const std::string& a : args) arg.push_back(expand_kubernetes_vars(a, vars));
  // containerd's CRI plugin: the image fills in only when the Pod gives no command; its Cmd only
  // when the Pod gives neither command nor args.
  if (cmd.empty()) {
    if (arg.empty()) arg = image_cmd;
    cmd = image_entrypoint;
  }
  cmd.insert(cmd.end(), arg.begin(), arg.end());
  if (cmd.empty()) return make_error(ErrorCode::kInvalid, "no command specified");
  return cmd;
}

std::vector<std::string> merge_env(const std::vector<std::string>& image_env,
                                   const std::vector<EnvVar>& container_env) {
  std::vector<std::string> out;
  std::unordered_map<std::string, size_t> index;
  auto put = [&](std::string name, std::string entry) {
    auto it = index.find(name);
    if (it != index.end()) {
      out[it->second] = std::move(entry);
    } else {
      index.emplace(std::move(name), out.size());
      out.push_back(std::move(entry));
    }
  };
  for (const std::string& e : image_env) {
    size_t eq = e.find('=');
    put(e.substr(0, eq), eq == std::string::npos ? e + "=" : e);
  }
  for (const EnvVar& e : container_env) put(e.name, e.name + "=" + e.value);
  return out;
}

std::string working_dir(std::string_view container_working_dir,
                        std::string_view image_working_dir) {
  if (!container_working_dir.empty()) return std::string(container_working_dir);
  if (!image_working_dir.empty()) return std::string(image_working_dir);
  return "/";
}

}  // namespace bosun::runtime
