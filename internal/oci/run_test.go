package oci_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/oci"
	"github.com/wharf/wharf/internal/runtime"
)

// TestSpecRunsInLibcontainer runs a busybox container from a generated
// spec and checks, from inside, what the spec promised: user and groups,
// hostname, environment, capabilities, masked and read-only /proc paths,
// mounts, devices and the memory and pids limits.
func TestSpecRunsInLibcontainer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox-static not installed")
	}
	rootfs := t.TempDir()
	for _, d := range []string{"bin", "etc", "proc", "sys", "dev", "tmp", "home/app"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, busybox, filepath.Join(rootfs, "bin/busybox"), 0o755)
	if err := os.Symlink("busybox", filepath.Join(rootfs, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
	writeFile(t, filepath.Join(rootfs, "etc/group"), "root:x:0:\nwheel:x:10:app\napp:x:1000:\n")
	hosts := filepath.Join(t.TempDir(), "hosts")
	writeFile(t, hosts, "127.0.0.1 localhost oci-test-host\n")

	id := fmt.Sprintf("0c1def%058x", os.Getpid())
	parent := fmt.Sprintf("/wharf-oci-test-%d", os.Getpid())
	t.Cleanup(func() { removeCgroupDirs(parent) })
	pids := int64(64)
	script := strings.Join([]string{
		"echo id=$(busybox id -u):$(busybox id -g):$(busybox id -G)",
		"echo host=$(busybox hostname)",
		"echo pwd=$(pwd)",
		"echo env=$HOSTNAME,$FOO,$HOME,$PATH",
		"busybox grep -E '^Cap(Bnd|Eff):' /proc/self/status | busybox tr -d '\\t'",
		"echo keys=$(busybox stat -c %t:%T /proc/keys)", // masked: /dev/null (1:3)
		"(echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null && echo procsys=rw || echo procsys=ro",
		"echo hosts=$(busybox cat /etc/hosts)",
		"busybox awk '$2==\"/dev/shm\"||$2==\"/dev\"||$2==\"/sys\"{print \"mnt=\"$2\",\"$3\",\"$4}' /proc/mounts",
		"busybox ls /dev | busybox tr '\\n' ' ' | busybox sed 's/^/dev=/'; echo",
		"echo pidsmax=$(busybox cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || busybox cat /sys/fs/cgroup/pids.max)",
		"echo mem=$(busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || busybox cat /sys/fs/cgroup/memory.max)",
	}, "\n")
	in := oci.Input{
		ID: id,
		Config: &container.Config{
			User: "app", WorkingDir: "/home/app", Env: []string{"FOO=bar"},
			Entrypoint: []string{"/bin/busybox", "sh", "-c"}, Cmd: []string{script},
		},
		HostConfig: &container.HostConfig{Resources: container.Resources{Memory: 32 << 20, PidsLimit: &pids}, NetworkMode: "none"},
		RootPath:   rootfs, RootfsDirs: []string{rootfs},
		HostsPath: hosts, CgroupParent: parent, Seccomp: true,
	}
	if err := oci.ValidateHostConfig(in.HostConfig); err != nil {
		t.Fatal(err)
	}
	spec, err := oci.Spec(in)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := runtime.New(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	c, p, err := rt.Create(id, spec, runtime.Stdio{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Destroy() })
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	errOut := make(chan string, 1)
	go func() { b, _ := io.ReadAll(p.Stderr); errOut <- string(b) }()
	out, _ := io.ReadAll(p.Stdout)
	code := p.Wait()
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, <-errOut)
	}
	got := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			got[k] = append(got[k], v)
		}
	}
	t.Logf("container output:\n%s", out)
	expect := func(key, want string) {
		t.Helper()
		for _, v := range got[key] {
			if v == want {
				return
			}
		}
		t.Errorf("%s = %q, want %q", key, got[key], want)
	}
	expect("id", "1000:1000:1000 10")
	expect("host", id[:12])
	expect("pwd", "/home/app")
	expect("env", id[:12]+",bar,/home/app,"+oci.DefaultPath)
	expect("keys", "1:3")
	expect("procsys", "ro")
	expect("hosts", "127.0.0.1 localhost oci-test-host")
	expect("pidsmax", "64")
	expect("mem", fmt.Sprint(32<<20))
	if !strings.Contains(string(out), "CapBnd:00000000a80425fb") {
		t.Errorf("bounding set is not Docker's default")
	}
	for _, m := range got["mnt"] {
		switch {
		case strings.HasPrefix(m, "/dev/shm,tmpfs,"):
			if !strings.Contains(m, "nosuid") || !strings.Contains(m, "size=65536k") {
				t.Errorf("/dev/shm %s", m)
			}
		case strings.HasPrefix(m, "/sys,sysfs,"):
			if !strings.HasPrefix(strings.TrimPrefix(m, "/sys,sysfs,"), "ro") {
				t.Errorf("/sys %s", m)
			}
		}
	}
	for _, d := range []string{"null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm", "mqueue"} {
		if !strings.Contains(" "+strings.Join(got["dev"], " ")+" ", " "+d+" ") {
			t.Errorf("/dev/%s missing: %v", d, got["dev"])
		}
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// removeCgroupDirs removes the test's cgroup parent from every hierarchy.
func removeCgroupDirs(parent string) {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + parent)
	if d := "/sys/fs/cgroup" + parent; fileExists(d) {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		_ = os.Remove(d)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
