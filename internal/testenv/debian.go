package testenv

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Debian rootfs cache, shared by every checkout and test process on the
// machine (it only depends on the mirror's bookworm).
const (
	DebianCacheDir = "/var/cache/wharf-test"
	DebianTarName  = "debian-bookworm.tar"
	// SkipDebianEnv=1 skips the tests that need the Debian image (CI runs them).
	SkipDebianEnv = "WHARF_TEST_SKIP_DEBIAN"
)

// DebianRootfsTar returns a tar of `debootstrap --variant=minbase bookworm`
// (about 200 MB), building it from the configured Debian mirror the first
// time (about 70 s) under an exclusive lock, then reusing
// /var/cache/wharf-test/debian-bookworm.tar. Entries carry numeric owners and
// no "./" prefix. Skips the test with WHARF_TEST_SKIP_DEBIAN=1.
func DebianRootfsTar(t testing.TB) string {
	t.Helper()
	if os.Getenv(SkipDebianEnv) == "1" {
		t.Skipf("testenv: %s=1: skipping a test that needs the Debian image", SkipDebianEnv)
	}
	RequireRoot(t)
	RequireBinary(t, "/usr/sbin/debootstrap")
	start := time.Now()
	p, err := BuildDebianRootfsTar(testLogWriter{t})
	if err != nil {
		t.Fatalf("testenv: Debian rootfs: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Logf("testenv: built %s in %v", p, d.Round(time.Second))
	}
	return p
}

type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// BuildDebianRootfsTar is DebianRootfsTar for programs (benchmarks); progress
// lines go to log.
func BuildDebianRootfsTar(log io.Writer) (string, error) {
	out := filepath.Join(DebianCacheDir, DebianTarName)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(DebianCacheDir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(DebianCacheDir, "debian-bookworm.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	// Another package's test process may be building it: wait for it.
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	work, err := os.MkdirTemp(DebianCacheDir, "build-")
	if err != nil {
		return "", err
	}
	root := filepath.Join(work, "rootfs")
	defer func() {
		unmountAll(root)
		os.RemoveAll(work)
	}()
	mirror := DebianMirror()
	fmt.Fprintf(log, "testenv: debootstrap --variant=minbase bookworm from %s (about 70 s, once)\n", mirror)
	cmd := exec.Command("debootstrap", "--variant=minbase", "bookworm", root, mirror)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("debootstrap: %v\n%s", err, tail(string(b), 4096))
	}
	unmountAll(root) // debootstrap leaves nothing mounted when it succeeds; be sure
	ents, err := os.ReadDir(root)
	if err != nil {
		return "", err
	}
	args := []string{"--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", root, "-cf", filepath.Join(work, "out.tar")}
	for _, e := range ents {
		args = append(args, e.Name())
	}
	if b, err := exec.Command("tar", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("tar: %v\n%s", err, tail(string(b), 4096))
	}
	if err := os.Rename(filepath.Join(work, "out.tar"), out); err != nil {
		return "", err
	}
	return out, nil
}

// DebianMirror is the first bookworm (not -security) repository in
// /etc/apt/sources.list and /etc/apt/sources.list.d/*.{list,sources}, the
// only Debian mirror this machine reaches; deb.debian.org if none is found.
func DebianMirror() string {
	files := []string{"/etc/apt/sources.list"}
	for _, pat := range []string{"*.list", "*.sources"} {
		m, _ := filepath.Glob(filepath.Join("/etc/apt/sources.list.d", pat))
		sort.Strings(m)
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var uri string
		if strings.HasSuffix(f, ".sources") {
			uri = mirrorFromDeb822(string(b))
		} else {
			uri = mirrorFromList(string(b))
		}
		if uri != "" {
			return uri
		}
	}
	return "http://deb.debian.org/debian"
}

func mirrorFromList(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") { // [signed-by=...] options
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			f = f[1:]
		}
		if len(f) >= 2 && f[1] == "bookworm" {
			return f[0]
		}
	}
	return ""
}

func mirrorFromDeb822(s string) string {
	for _, stanza := range strings.Split(s, "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, " ") {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if !strings.Contains(fields["types"], "deb") || strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		for _, suite := range strings.Fields(fields["suites"]) {
			if suite == "bookworm" {
				if uris := strings.Fields(fields["uris"]); len(uris) > 0 {
					return uris[0]
				}
			}
		}
	}
	return ""
}

// unmountAll detaches every mount at or below dir (a failed debootstrap may
// leave proc or sys mounted in the target).
func unmountAll(dir string) {
	for i := 0; i < 3; i++ {
		pts := MountsUnder(dir)
		if len(pts) == 0 {
			return
		}
		for _, p := range pts {
			syscall.Unmount(p, syscall.MNT_DETACH)
		}
	}
}
