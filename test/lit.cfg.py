# -*- Python -*-
import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "dualpipe"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dualpipe_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.dualpipe_tools_dir, append_path=True)

config.substitutions.append(("%golden", os.path.join(config.dualpipe_src_root, "test", "Golden")))
config.substitutions.append(("%examples", os.path.join(config.dualpipe_src_root, "examples")))
config.substitutions.append(("%srcroot", config.dualpipe_src_root))

tools = ["dualpipe-opt", "dualpipe-translate", "dualpipe-plan", "dualpipe-run"]
for tool in tools:
    if os.path.exists(os.path.join(config.dualpipe_tools_dir, tool)):
        config.available_features.add(tool)
llvm_config.add_tool_substitutions(
    [t for t in tools if os.path.exists(os.path.join(config.dualpipe_tools_dir, t))],
    [config.dualpipe_tools_dir])

if shutil.which("chromium"):
    config.available_features.add("chromium")

# Debian's python3-torch serves /usr/bin/python3, which may not be the python3
# on PATH; tests that save TorchScript modules need it.
system_python = "/usr/bin/python3"
if os.path.isdir("/usr/lib/python3/dist-packages/torch") and os.path.exists(system_python):
    config.available_features.add("python-torch")
    config.substitutions.append(("%torch_python", system_python))

# The multi-host Gloo tests make network namespaces (ip netns, as root);
# where that fails they are unsupported, and the reason is printed.
def netns_unavailable():
    if shutil.which("ip") is None:
        return "iproute2's ip is not installed"
    if os.geteuid() != 0:
        return "making network namespaces needs root"
    probe = "dualpipe-lit-probe-%d" % os.getpid()
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return "ip netns add failed: " + made.stderr.strip()
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None

netns_reason = netns_unavailable()
if netns_reason is None:
    config.available_features.add("netns")
else:
    lit_config.note("netns Gloo tests skipped: " + netns_reason)
