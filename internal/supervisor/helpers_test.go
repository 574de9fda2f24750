package supervisor

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/mount"
)

// The test binary plays the supervisor role (and libcontainer's init,
// registered by internal/runtime), so the tests need no wharf build.
var (
	testClient   *Client
	testExecRoot string
	busyboxDir   string
	cgroupParent = fmt.Sprintf("wharf-test-%d", os.Getpid())
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "supervisor" {
		os.Exit(Main(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "fake-daemon" {
		os.Exit(fakeDaemon(os.Args[2], os.Args[3]))
	}
	if os.Geteuid() != 0 {
		fmt.Println("skipping: supervisor tests need root")
		os.Exit(0)
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	base, err := os.MkdirTemp("", "wharf-sup-test-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(base)
	defer removeCgroups()
	busyboxDir = filepath.Join(base, "busybox")
	if err := makeBusybox(busyboxDir); err != nil {
		fmt.Println(err)
		return 1
	}
	testExecRoot = filepath.Join(base, "exec")
	// WHARF_TEST_BIN: run the supervisor and the container init from a
	// real wharf build instead of this test binary.
	exe, _ := os.Executable()
	if bin := os.Getenv("WHARF_TEST_BIN"); bin != "" {
		exe = bin
	}
	testClient, err = EnsureRunning(exe, testExecRoot)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer stopSupervisor(testExecRoot)
	return m.Run()
}

func makeBusybox(dir string) error {
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{bin, filepath.Join(dir, "etc"), filepath.Join(dir, "proc"), filepath.Join(dir, "dev"), filepath.Join(dir, "sys"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	src, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), src, 0o755); err != nil {
		return err
	}
	out, err := exec.Command("/bin/busybox", "--list").Output()
	if err != nil {
		return err
	}
	for _, name := range strings.Fields(string(out)) {
		if name != "busybox" {
			if err := os.Symlink("busybox", filepath.Join(bin, name)); err != nil {
				return err
			}
		}
	}
	os.WriteFile(filepath.Join(bin, "notexec"), []byte("#!/bin/sh\n"), 0o644)
	return os.WriteFile(filepath.Join(dir, "etc", "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
}

// stopSupervisor kills the supervisor we started (found by its exec-root).
func stopSupervisor(execRoot string) {
	ents, _ := os.ReadDir("/proc")
	want := []byte("supervisor\x00--exec-root\x00" + execRoot + "\x00")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.HasSuffix(b, want) {
			p, _ := os.FindProcess(atoi(e.Name()))
			p.Kill()
		}
	}
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

func removeCgroups() {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + cgroupParent)
	more, _ := filepath.Glob("/sys/fs/cgroup/*/*/" + cgroupParent) // nested under our own cgroup
	for _, d := range append(dirs, more...) {
		subs, _ := filepath.Glob(d + "/*")
		for _, s := range subs {
			if fi, err := os.Stat(s); err == nil && fi.IsDir() {
				os.Remove(s)
			}
		}
		os.Remove(d)
	}
}

// newRequest prepares an overlay rootfs over busybox and a minimal spec.
func newRequest(t *testing.T, id string, args ...string) CreateRequest {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"upper", "work", "rootfs"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	root := filepath.Join(dir, "rootfs")
	t.Cleanup(func() {
		testClient.Kill(context.Background(), id, 9, false)
		// Delete refuses a running container: let the kill land first.
		wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		testClient.Wait(wctx, id)
		cancel()
		testClient.Delete(context.Background(), id)
		// Whatever happened, nothing may stay mounted under the temp dir.
		if mounted(root) {
			t.Errorf("%s still mounted after the test", root)
			exec.Command("umount", "-l", root).Run()
		}
	})
	return CreateRequest{
		ID:     id,
		Bundle: dir,
		Spec:   testSpec(id, root, args),
		Rootfs: []mount.Mount{{Type: "overlay", Source: "overlay", Options: []string{
			"lowerdir=" + busyboxDir, "upperdir=" + filepath.Join(dir, "upper"), "workdir=" + filepath.Join(dir, "work")}}},
		Log: LogConfig{Path: filepath.Join(dir, id+"-json.log"), MaxFiles: 1},
	}
}

func testSpec(id, root string, args []string) *specs.Spec {
	caps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
		"CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD",
		"CAP_AUDIT_WRITE", "CAP_SETFCAP"}
	return &specs.Spec{
		Version:  specs.Version,
		Root:     &specs.Root{Path: root},
		Hostname: id,
		Process: &specs.Process{
			Args: args, Cwd: "/", Env: []string{"PATH=/bin", "HOME=/root"},
			Capabilities: &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
			Rlimits:      []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: &specs.Linux{
			CgroupsPath: "/" + cgroupParent + "/" + id,
			Namespaces:  []specs.LinuxNamespace{{Type: "pid"}, {Type: "mount"}, {Type: "ipc"}, {Type: "uts"}, {Type: "network"}},
			Resources:   &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			MaskedPaths: []string{"/proc/kcore"},
		},
	}
}

func mounted(path string) bool {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) > 4 && f[4] == path {
			return true
		}
	}
	return false
}

// demux splits stdcopy-framed output.
func demux(t *testing.T, r io.Reader) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	hdr := make([]byte, 8)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			return o.String(), e.String()
		}
		n := binary.BigEndian.Uint32(hdr[4:])
		w := &o
		if hdr[0] == 2 {
			w = &e
		}
		if _, err := io.CopyN(w, r, int64(n)); err != nil {
			t.Fatalf("short frame: %v", err)
		}
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// runCtr creates, starts and waits for a container.
func runCtr(t *testing.T, req CreateRequest) State {
	t.Helper()
	c := ctx(t)
	if _, err := testClient.Create(c, req); err != nil {
		t.Fatal(err)
	}
	if _, err := testClient.Start(c, req.ID); err != nil {
		t.Fatal(err)
	}
	st, err := testClient.Wait(c, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
