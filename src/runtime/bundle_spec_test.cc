// Spec generation and process assembly, without root: what runc will be asked to run.
#include "runtime/bundle_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "runtime/bundle_process.h"

namespace bosun::runtime {
namespace {

ContainerSpec basic() {
  ContainerSpec s;
  s.args = {"/bin/sh", "-c", "echo hi"};
  s.env = {"PATH=/bin"};
  s.rootfs = "/var/lib/bosun/rootfs";
  s.hostname = "web";
  s.cgroups_path = container_cgroup_path("1234", "abc");
  return s;
}

Json spec_of(const ContainerSpec& s) {
  auto r = build_runtime_spec(s);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Json();
}

const Json* find_mount(const Json& spec, std::string_view dest) {
  for (const Json& m : spec["mounts"]) {
    if (m["destination"] == dest) return &m;
  }
  return nullptr;
}

std::vector<std::string> strings(const Json& j) { return j.get<std::vector<std::string>>(); }

TEST(MergeCommand, TheFourCasesOfEntrypointCmdCommandArgs) {
  std::vector<std::string> ep = {"/ep"}, cmd = {"cmd-arg"};
  struct Case {
    std::vector<std::string> command, args, want;
  } cases[] = {
      {{}, {}, {"/ep", "cmd-arg"}},             // neither: image Entrypoint + Cmd
      {{"/run"}, {}, {"/run"}},                 // command only: image Cmd ignored
      {{}, {"a1", "a2"}, {"/ep", "a1", "a2"}},  // args only: Entrypoint + args
      {{"/run"}, {"a1"}, {"/run", "a1"}},       // both: image ignored
  };
  for (const Case& c : cases) {
    auto got = merge_command(ep, cmd, c.command, c.args);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, c.want);
  }
}

TEST(MergeCommand, NothingToRunIsInvalid) {
  auto got = merge_command({}, {}, {}, {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(got.error().message, "no command specified");
  // Args alone with an image that has no entrypoint run the args.
  auto args_only = merge_command({}, {"ignored"}, {}, {"/bin/true"});
  ASSERT_TRUE(args_only.ok());
  EXPECT_EQ(*args_only, std::vector<std::string>{"/bin/true"});
}

TEST(MergeCommand, ExpandsVariableReferencesFromTheContainerEnv) {
  auto got = merge_command({}, {}, {"/bin/echo", "$(GREETING)"},
                           {"$(MISSING)", "$$(GREETING)", "cost: $$5"}, {{"GREETING", "hello"}});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, (std::vector<std::string>{"/bin/echo", "hello", "$(MISSING)", "$(GREETING)",
                                            "cost: $5"}));
}

TEST(ExpandVars, UnterminatedAndLoneDollarStayAsWritten) {
  std::map<std::string, std::string> vars = {{"A", "x"}};
  EXPECT_EQ(expand_kubernetes_vars("$(A", vars), "$(A");
  EXPECT_EQ(expand_kubernetes_vars("$A $", vars), "$A $");
  EXPECT_EQ(expand_kubernetes_vars("$(A)$(A)", vars), "xx");
  EXPECT_EQ(expand_kubernetes_vars("$()", vars), "$()");
}

TEST(ResolveEnv, LaterVariablesSeeEarlierOnes) {
  auto env = resolve_container_env({{"A", "1"}, {"B", "$(A)-$(C)"}, {"C", "3"}, {"A", "$(C)"}});
  ASSERT_EQ(env.size(), 3u);
  EXPECT_EQ(env[0].name, "A");
  EXPECT_EQ(env[0].value, "3");
  EXPECT_EQ(env[1].value, "1-$(C)");
  EXPECT_EQ(env[2].value, "3");
}

TEST(MergeEnv, ContainerOverridesImageInPlaceAndAppendsTheRest) {
  auto env = merge_env({"PATH=/usr/bin", "LANG=C", "EMPTY"}, {{"LANG", "en"}, {"NEW", "1"}});
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/usr/bin", "LANG=en", "EMPTY=", "NEW=1"}));
}

TEST(WorkingDir, ContainerThenImageThenRoot) {
  EXPECT_EQ(working_dir("/work", "/img"), "/work");
  EXPECT_EQ(working_dir("", "/img"), "/img");
  EXPECT_EQ(working_dir("", ""), "/");
}

TEST(Capabilities, DefaultSetIsContainerdsFourteen) {
  auto caps = effective_capabilities({});
  ASSERT_TRUE(caps.ok());
  std::vector<std::string> want = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  EXPECT_EQ(*caps, want);
}

TEST(Capabilities, AddDropAndAll) {
  auto added = effective_capabilities({{"NET_ADMIN", "sys_time"}, {"MKNOD", "NET_RAW"}});
  ASSERT_TRUE(added.ok());
  EXPECT_NE(std::find(added->begin(), added->end(), "CAP_NET_ADMIN"), added->end());
  EXPECT_NE(std::find(added->begin(), added->end(), "CAP_SYS_TIME"), added->end());
  EXPECT_EQ(std::find(added->begin(), added->end(), "CAP_MKNOD"), added->end());
  EXPECT_EQ(added->size(), 14u);

  auto drop_all = effective_capabilities({{"NET_BIND_SERVICE"}, {"ALL"}});
  ASSERT_TRUE(drop_all.ok());
  EXPECT_EQ(*drop_all, std::vector<std::string>{"CAP_NET_BIND_SERVICE"});

  // Dropping wins over adding the same capability, and "ALL" in add starts from everything.
  auto add_all = effective_capabilities({{"ALL"}, {"CHOWN"}});
  ASSERT_TRUE(add_all.ok());
  EXPECT_EQ(add_all->size(), all_capabilities().size() - 1);
  EXPECT_EQ(std::find(add_all->begin(), add_all->end(), "CAP_CHOWN"), add_all->end());

  auto bad = effective_capabilities({{"NOT_A_CAP"}, {}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().message, "unknown capability \"NOT_A_CAP\"");
}

TEST(CpuConversions, MatchTheKubelet) {
  EXPECT_EQ(milli_cpu_to_shares(0), 2u);
  EXPECT_EQ(milli_cpu_to_shares(1), 2u);
  EXPECT_EQ(milli_cpu_to_shares(2), 2u);
  EXPECT_EQ(milli_cpu_to_shares(100), 102u);
  EXPECT_EQ(milli_cpu_to_shares(250), 256u);
  EXPECT_EQ(milli_cpu_to_shares(1000), 1024u);
  EXPECT_EQ(milli_cpu_to_shares(1000000), 262144u);
  EXPECT_EQ(milli_cpu_to_quota(0), 0);
  EXPECT_EQ(milli_cpu_to_quota(1), 1000);  // the kernel's minimum quota
  EXPECT_EQ(milli_cpu_to_quota(250), 25000);
  EXPECT_EQ(milli_cpu_to_quota(2000), 200000);
}

TEST(OomScoreAdj, FollowsTheKubeletsQosPolicy) {
  constexpr int64_t kGi = 1LL << 30;
  EXPECT_EQ(container_oom_score_adj(QosClass::kGuaranteed, kGi, 8 * kGi), -997);
  EXPECT_EQ(container_oom_score_adj(QosClass::kBestEffort, 0, 8 * kGi), 1000);
  EXPECT_EQ(container_oom_score_adj(QosClass::kBurstable, 2 * kGi, 8 * kGi), 750);
  EXPECT_EQ(container_oom_score_adj(QosClass::kBurstable, 8 * kGi, 8 * kGi), 3);
  EXPECT_EQ(container_oom_score_adj(QosClass::kBurstable, 16 * kGi, 8 * kGi), 3);
  EXPECT_EQ(container_oom_score_adj(QosClass::kBurstable, 0, 8 * kGi), 999);
}

TEST(RuntimeSpec, ProcessRootAndDefaults) {
  ContainerSpec s = basic();
  s.uid = 1000;
  s.gid = 2000;
  s.additional_gids = {3000};
  s.cwd = "/work";
  s.no_new_privileges = true;
  s.oom_score_adj = 999;
  s.rlimits = {{"RLIMIT_NOFILE", 1024, 4096}};
  Json j = spec_of(s);
  EXPECT_EQ(j["ociVersion"], "1.0.2");
  EXPECT_EQ(j["process"]["terminal"], false);
  EXPECT_EQ(strings(j["process"]["args"]), s.args);
  EXPECT_EQ(j["process"]["cwd"], "/work");
  EXPECT_EQ(j["process"]["user"], (Json{{"uid", 1000}, {"gid", 2000}, {"additionalGids", {3000}}}));
  EXPECT_EQ(j["process"]["noNewPrivileges"], true);
  EXPECT_EQ(j["process"]["oomScoreAdj"], 999);
  EXPECT_EQ(j["process"]["rlimits"][0],
            (Json{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 4096}}));
  EXPECT_EQ(strings(j["process"]["capabilities"]["bounding"]), default_capabilities());
  EXPECT_EQ(strings(j["process"]["capabilities"]["effective"]), default_capabilities());
  EXPECT_FALSE(j["process"]["capabilities"].contains("inheritable"));
  EXPECT_FALSE(j["process"]["capabilities"].contains("ambient"));
  EXPECT_EQ(j["root"], (Json{{"path", "/var/lib/bosun/rootfs"}, {"readonly", false}}));
  EXPECT_EQ(j["hostname"], "web");
  EXPECT_EQ(strings(j["linux"]["maskedPaths"]), default_masked_paths());
  EXPECT_NE(std::find(default_masked_paths().begin(), default_masked_paths().end(), "/proc/kcore"),
            default_masked_paths().end());
  EXPECT_EQ(strings(j["linux"]["readonlyPaths"]),
            (std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                      "/proc/sysrq-trigger"}));
  EXPECT_EQ(j["linux"]["cgroupsPath"], "/bosun/pod1234/abc");
  EXPECT_FALSE(j.contains("annotations"));
}

TEST(RuntimeSpec, DefaultMountsInParentFirstOrder) {
  Json j = spec_of(basic());
  std::vector<std::string> dests;
  for (const Json& m : j["mounts"]) dests.push_back(m["destination"]);
  EXPECT_EQ(dests, (std::vector<std::string>{"/proc", "/dev", "/sys", "/dev/pts", "/dev/shm",
                                             "/dev/mqueue", "/sys/fs/cgroup"}));
  EXPECT_EQ(strings((*find_mount(j, "/sys"))["options"]),
            (std::vector<std::string>{"nosuid", "noexec", "nodev", "ro"}));
  EXPECT_EQ((*find_mount(j, "/sys/fs/cgroup"))["type"], "cgroup");
  EXPECT_EQ(strings((*find_mount(j, "/sys/fs/cgroup"))["options"]).back(), "ro");
  EXPECT_EQ((*find_mount(j, "/dev/shm"))["type"], "tmpfs");
}

TEST(RuntimeSpec, VolumesWithModesAndPropagation) {
  ContainerSpec s = basic();
  s.shm_path = "/var/lib/bosun/sandboxes/p/shm";
  s.mounts = {{"/data/a", "/a", true, MountPropagation::kNone},
              {"/data/b", "/mnt/b/", false, MountPropagation::kHostToContainer},
              {"/data/hosts", "/etc/hosts", false, MountPropagation::kNone}};
  Json j = spec_of(s);
  EXPECT_EQ(*find_mount(j, "/a"), (Json{{"destination", "/a"},
                                        {"type", "bind"},
                                        {"source", "/data/a"},
                                        {"options", {"rbind", "rprivate", "ro"}}}));
  EXPECT_EQ(strings((*find_mount(j, "/mnt/b"))["options"]),
            (std::vector<std::string>{"rbind", "rslave", "rw"}));
  EXPECT_EQ(j["linux"]["rootfsPropagation"], "rslave");
  EXPECT_EQ(*find_mount(j, "/dev/shm"), (Json{{"destination", "/dev/shm"},
                                              {"type", "bind"},
                                              {"source", "/var/lib/bosun/sandboxes/p/shm"},
                                              {"options", {"rbind", "rprivate", "rw"}}}));
  s.mounts.push_back({"/data/c", "/c", false, MountPropagation::kBidirectional});
  EXPECT_EQ(spec_of(s)["linux"]["rootfsPropagation"], "rshared");
}

TEST(RuntimeSpec, AVolumeReplacesTheDefaultMountAtItsPath) {
  ContainerSpec s = basic();
  s.mounts = {{"/host/shm", "/dev/shm", false, MountPropagation::kNone}};
  Json j = spec_of(s);
  int count = 0;
  for (const Json& m : j["mounts"]) count += m["destination"] == "/dev/shm";
  EXPECT_EQ(count, 1);
  EXPECT_EQ((*find_mount(j, "/dev/shm"))["source"], "/host/shm");
}

TEST(RuntimeSpec, NamespacesJoinTheSandbox) {
  ContainerSpec s = basic();
  s.namespaces.network_path = "/run/bosun/p/net";
  s.namespaces.ipc_path = "/run/bosun/p/ipc";
  s.namespaces.uts_path = "/run/bosun/p/uts";
  Json j = spec_of(s);
  EXPECT_EQ(j["linux"]["namespaces"],
            (Json::array({{{"type", "pid"}},
                          {{"type", "ipc"}, {"path", "/run/bosun/p/ipc"}},
                          {{"type", "uts"}, {"path", "/run/bosun/p/uts"}},
                          {{"type", "mount"}},
                          {{"type", "network"}, {"path", "/run/bosun/p/net"}}})));

  ContainerSpec host = basic();
  host.namespaces.host_network = true;
  Json h = spec_of(host);
  EXPECT_EQ(h["linux"]["namespaces"],
            (Json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "mount"}}})));
  EXPECT_FALSE(h.contains("hostname"));
}

TEST(RuntimeSpec, Resources) {
  ContainerSpec s = basic();
  s.resources = {250, 500, 64 << 20, 100};
  Json r = spec_of(s)["linux"]["resources"];
  EXPECT_EQ(r["cpu"], (Json{{"shares", 256}, {"quota", 50000}, {"period", 100000}}));
  EXPECT_EQ(r["memory"], (Json{{"limit", 64 << 20}}));
  EXPECT_EQ(r["pids"], (Json{{"limit", 100}}));
  EXPECT_EQ(r["devices"], Json::array({{{"allow", false}, {"access", "rwm"}}}));

  ContainerSpec best_effort = basic();
  Json b = spec_of(best_effort)["linux"]["resources"];
  EXPECT_EQ(b["cpu"], (Json{{"shares", 2}}));
  EXPECT_FALSE(b.contains("memory"));
  EXPECT_FALSE(b.contains("pids"));

  // Only a limit: shares follow the limit, as the kubelet does when requests are empty.
  ContainerSpec limit_only = basic();
  limit_only.resources.cpu_limit_milli = 1000;
  EXPECT_EQ(spec_of(limit_only)["linux"]["resources"]["cpu"]["shares"], 1024);
}

TEST(RuntimeSpec, PrivilegedGetsEverything) {
  ContainerSpec s = basic();
  s.privileged = true;
  Json j = spec_of(s);
  EXPECT_EQ(strings(j["process"]["capabilities"]["bounding"]), all_capabilities());
  EXPECT_FALSE(j["linux"].contains("maskedPaths"));
  EXPECT_FALSE(j["linux"].contains("readonlyPaths"));
  EXPECT_EQ(strings((*find_mount(j, "/sys"))["options"]).back(), "rw");
  EXPECT_EQ(j["linux"]["resources"]["devices"],
            Json::array({{{"allow", true}, {"access", "rwm"}}}));
}

TEST(RuntimeSpec, BadInputIsInvalid) {
  auto expect_invalid = [](ContainerSpec s, std::string message) {
    auto r = build_runtime_spec(s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
    EXPECT_EQ(r.error().message, message);
  };
  ContainerSpec s = basic();
  s.args.clear();
  expect_invalid(s, "no command specified");
  s = basic();
  s.rootfs = "rootfs";
  expect_invalid(s, "root path must be absolute: \"rootfs\"");
  s = basic();
  s.mounts = {{"/x", "relative", false, MountPropagation::kNone}};
  expect_invalid(s, "mount destination must be an absolute path: \"relative\"");
  s = basic();
  s.capabilities.add = {"BOGUS"};
  expect_invalid(s, "unknown capability \"BOGUS\"");
  s = basic();
  s.env = {"NOEQUALS"};
  expect_invalid(s, "environment entry must be NAME=value: \"NOEQUALS\"");
}

TEST(WriteBundle, WritesConfigJson) {
  std::string dir = testing::TempDir() + "bundle_spec_test_" + std::to_string(::getpid());
  ASSERT_TRUE(write_bundle(dir, basic()).ok());
  std::ifstream in(dir + "/config.json");
  Json j = Json::parse(in);
  EXPECT_EQ(j["process"]["args"][0], "/bin/sh");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bosun::runtime
