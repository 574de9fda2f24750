package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
)

// ReferenceEnv, set to "dockerd", makes StartDaemon start Debian's dockerd
// (20.10) instead of wharf, and Command run the docker CLI instead of ours:
// the same end-to-end tests then check what Docker itself does, which is how
// a test's expectations are verified. Never used by CI.
const ReferenceEnv = "WHARF_TEST_REFERENCE"

func referenceMode() bool { return os.Getenv(ReferenceEnv) == "dockerd" }

// dockerdCommand starts dockerd with the same isolation as ours: its own
// roots, socket, pid file and cgroup parent, and no host network changes
// (no bridge, no iptables).
func (d *Daemon) dockerdCommand() *exec.Cmd {
	cfg := filepath.Join(d.Dir, "dockerd.json")
	os.WriteFile(cfg, []byte("{}"), 0o644)
	args := append([]string{
		"--data-root", d.DataRoot,
		"--exec-root", d.ExecRoot,
		"-H", d.Host(),
		"--pidfile", filepath.Join(d.Dir, "dockerd.pid"),
		"--config-file", cfg,
		"--cgroup-parent", d.CgroupParent,
		"--bridge", "none", "--iptables=false", "--ip-forward=false", "--ip-masq=false",
		"--userland-proxy=false",
	}, d.args...)
	return exec.Command("/usr/sbin/dockerd", args...)
}
