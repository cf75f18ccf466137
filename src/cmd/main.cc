// The `bosun` binary: parses flags and wires components together.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/log.h"

namespace {

std::string default_data_dir() {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.bosun";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Bosun: a container orchestrator that speaks the Kubernetes API"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();

  app.add_subcommand("version", "Print the version")->callback([] { std::puts("bosun 0.1.0"); });

  std::string data_dir = default_data_dir();
  auto* server = app.add_subcommand("server", "Run the control plane and a local agent");
  server->add_option("--data-dir", data_dir, "Where state lives")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  bosun::init_logging(log_level);
  if (server->parsed()) {
    std::fprintf(stderr, "bosun server: not built yet (data dir %s)\n", data_dir.c_str());
    return 1;
  }
  return 0;
}
