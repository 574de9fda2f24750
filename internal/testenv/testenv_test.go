package testenv

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestShortTempDir(t *testing.T) {
	dir := ShortTempDir(t)
	defer os.RemoveAll(dir)
	if !strings.HasPrefix(dir, "/tmp/wt-") || len(dir) > 16 {
		t.Fatalf("temp dir %q is not of the form /tmp/wt-XXXXXX", dir)
	}
	if len(filepath.Join(dir, "exec", "containers", strings.Repeat("f", 64), "attach.sock")) > 108 {
		t.Fatalf("a container socket under %q would not fit in sun_path", dir)
	}
}

func TestBusyboxTar(t *testing.T) {
	if _, err := os.Stat(BusyboxSource); err != nil {
		t.Skipf("busybox-static is not installed: %v", err)
	}
	f, err := os.Open(BusyboxTar(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]*tar.Header{}
	bodies := map[string]string{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
		if h.Typeflag == tar.TypeReg && strings.HasPrefix(h.Name, "etc/") {
			b, _ := io.ReadAll(tr)
			bodies[h.Name] = string(b)
		}
	}
	if h := got["bin/busybox"]; h == nil || h.Mode&0o111 == 0 || h.Size < 100_000 {
		t.Fatalf("bin/busybox missing or not executable: %+v", h)
	}
	for _, applet := range []string{"sh", "ls", "echo", "httpd", "sleep", "true", "false", "cat", "id", "ps", "top", "wget", "nc"} {
		if h := got["bin/"+applet]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "busybox" {
			t.Errorf("bin/%s is not a link to busybox: %+v", applet, h)
		}
	}
	if h := got["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("tmp/ mode: %+v", h)
	}
	for _, d := range []string{"root/", "home/", "etc/"} {
		if got[d] == nil {
			t.Errorf("%s missing", d)
		}
	}
	if !strings.Contains(bodies["etc/passwd"], "wharfuser:x:1000:1000:") || !strings.Contains(bodies["etc/passwd"], "nobody:x:65534:") {
		t.Errorf("etc/passwd: %q", bodies["etc/passwd"])
	}
	if !strings.Contains(bodies["etc/group"], "extra:x:1001:wharfuser") {
		t.Errorf("etc/group: %q", bodies["etc/group"])
	}
}

// TestSweep leaves what a crashed daemon leaves (a process naming the dir, a
// pid file, a process in the test cgroup, nested mounts, nested cgroups) and
// checks that Sweep removes all of it.
func TestSweep(t *testing.T) {
	RequireRoot(t)
	dir := ShortTempDir(t)
	name := "wharf-test-sweep-" + filepath.Base(dir)[3:]
	t.Cleanup(func() { Sweep(t, dir, name) }) // in case the test fails half-way

	// A "supervisor": its argv[0] names the dir.
	sup := exec.Command("/bin/sleep", "1000")
	sup.Args[0] = filepath.Join(dir, "exec", "fake-supervisor")
	// A second one known only by a pid file... which also names the dir.
	pidded := exec.Command("/bin/sleep", "1001")
	pidded.Args[0] = dir + "/pidded"
	// A "container": known only by its cgroup.
	ctr := exec.Command("/bin/sleep", "1002")
	// An escaped container: known only by its root directory under dir.
	chroot := filepath.Join(dir, "exec", "chroot")
	os.MkdirAll(filepath.Join(chroot, "bin"), 0o755)
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("busybox-static is not installed: %v", err)
	}
	os.WriteFile(filepath.Join(chroot, "bin", "busybox"), bb, 0o755)
	escaped := exec.Command("/bin/busybox", "sleep", "1003")
	escaped.SysProcAttr = &syscall.SysProcAttr{Chroot: chroot}
	for _, c := range []*exec.Cmd{sup, pidded, ctr, escaped} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	waits := map[string]chan error{}
	for n, c := range map[string]*exec.Cmd{"supervisor": sup, "pidded": pidded, "container": ctr, "escaped": escaped} {
		ch := make(chan error, 1)
		go func(c *exec.Cmd) { ch <- c.Wait() }(c)
		waits[n] = ch
	}
	os.MkdirAll(filepath.Join(dir, "exec"), 0o755)
	os.WriteFile(filepath.Join(dir, "exec", "supervisor.pid"), []byte(strconv.Itoa(pidded.Process.Pid)), 0o644)

	var cgdirs []string
	for _, root := range cgroupMounts() {
		d := filepath.Join(root, name, "child")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Logf("mkdir %s: %v (skipped)", d, err)
			continue
		}
		cgdirs = append(cgdirs, filepath.Dir(d), d)
	}
	if len(cgdirs) == 0 {
		t.Fatal("could not create any cgroup")
	}
	pidsChild := ""
	for _, d := range cgdirs {
		if _, err := os.Stat(filepath.Join(d, "pids.max")); err == nil && strings.HasSuffix(d, "child") {
			pidsChild = d
		}
	}
	if pidsChild == "" {
		t.Fatal("no pids cgroup to put the container in")
	}
	if err := os.WriteFile(filepath.Join(pidsChild, "cgroup.procs"), []byte(strconv.Itoa(ctr.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}

	for _, m := range []string{"rootfs", "rootfs/proc"} {
		p := filepath.Join(dir, "exec", m)
		os.MkdirAll(p, 0o755)
		if err := syscall.Mount("tmpfs", p, "tmpfs", 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(MountsUnder(dir)); n != 2 {
		t.Fatalf("MountsUnder(%s) = %d mounts, want 2", dir, n)
	}

	Sweep(t, dir, name)

	for n, ch := range waits {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Errorf("%s process still running after Sweep", n)
		}
	}
	if m := MountsUnder(dir); len(m) != 0 {
		t.Errorf("mounts left: %v", m)
	}
	for _, d := range cgdirs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("cgroup left: %s", d)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s left", dir)
	}
}

func TestWharfBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the static binary; skipped with -short")
	}
	bin := WharfBinary(t)
	st, err := os.Stat(bin)
	if err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("%s: %v %v", bin, st, err)
	}
	if os.Getenv("WHARF_BINARY") == "" && filepath.Dir(bin) == os.TempDir() {
		t.Fatalf("binary %s should live in its own directory", bin)
	}
	if again := WharfBinary(t); again != bin {
		t.Fatalf("second call built again: %s vs %s", again, bin)
	}
}
