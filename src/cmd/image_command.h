// `bosun image import|ls|rm`: the node's local image store (<data-dir>/images, the one the agent
// of `bosun server` runs pods from), for machines without a reachable registry. Used by main.cc.
#pragma once

#include <CLI/CLI.hpp>

namespace bosun::cmd {

// Adds the `image` subcommand and its three verbs to `app`; each verb runs as the callback.
void add_image_command(CLI::App& app, const std::string& default_data_dir);

}  // namespace bosun::cmd
