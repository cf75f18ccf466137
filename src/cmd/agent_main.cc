// main() of bosun-agent, the node agent as a program of its own: `bosun agent` becomes it
// (agent_program.cc) when it sits beside the bosun binary, with the same arguments. It is linked
// with only what a node needs (agent, runtime, client, http, api, common), without the API server,
// the store, the controllers, the scheduler and SQLite, so an idle agent touches a few dense pages
// of code instead of ~75 scattered 64 KB windows (the kernel's fault-around) of the 400 MB
// all-in-one binary. Single-threaded until the agent starts.
#include <malloc.h>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <string>

#include "cmd/agent_command.h"
#include "common/log.h"

int main(int argc, char** argv) {
  // One malloc arena for all threads (glibc gives each new thread its own, up to 8 per CPU): the
  // agent's dozen threads allocate little, and each arena keeps its own partly used pages; 0.3 MB
  // less resident idle, 0.8 MB with 50 pods (bench/results.md). MALLOC_ARENA_MAX still wins.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 1);
  CLI::App app{"The node agent (kubelet) of `bosun agent`"};
  app.require_subcommand(1);
  // The same global option as the bosun binary, so `bosun --log-level debug agent ...` means the
  // same here.
  std::string log_level = "info";
  bosun::init_logging(log_level);
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->trigger_on_parse()
      ->each([](const std::string& level) { bosun::init_logging(level); })
      ->capture_default_str();
  const char* home = std::getenv("HOME");
  bosun::cmd::add_agent_command(app, std::string(home ? home : ".") + "/.bosun");
  CLI11_PARSE(app, argc, argv);
  return 0;
}
