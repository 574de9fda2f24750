// Package testenv is the shared test library: it builds the wharf binary and
// a busybox rootfs tar, starts isolated daemons and cleans up after them
// (processes, mounts, cgroups, files) even when a test fails.
//
// It depends on the standard library only, so any package's tests can use it.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// RequireRoot skips the test, saying why, unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("testenv: this test needs root (mounts, namespaces, cgroups)")
	}
}

// ModuleRoot is the directory holding the module's go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("testenv: go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatalf("testenv: not inside a Go module")
	}
	return filepath.Dir(gomod)
}

// ShortTempDir makes /tmp/wt-XXXXXX: short, because unix socket paths under
// it are limited to 108 bytes. The caller removes it (see Cleanup).
func ShortTempDir(t testing.TB) string {
	t.Helper()
	for i := 0; i < 100; i++ {
		b := make([]byte, 3)
		rand.Read(b)
		dir := "/tmp/wt-" + hex.EncodeToString(b)
		if err := os.Mkdir(dir, 0o755); err == nil {
			return dir
		} else if !os.IsExist(err) {
			t.Fatalf("testenv: %v", err)
		}
	}
	t.Fatalf("testenv: no free /tmp/wt-XXXXXX name")
	return ""
}

// cacheDir is a per-checkout directory for the built binary and the busybox
// tar, shared by the test processes of one `go test ./...` run. It is keyed
// by the module root so that two checkouts never overwrite each other's build,
// and it lives outside every test's exec-root (libcontainer wants the binary
// and its state in separate trees).
func cacheDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "wharf-testenv-"+shortHash(ModuleRoot(t)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return dir
}

func shortHash(s string) string {
	// FNV-1a, 64 bit: enough to tell checkouts apart.
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return hex.EncodeToString([]byte{byte(h >> 56), byte(h >> 48), byte(h >> 40), byte(h >> 32),
		byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)})
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  string
)

// WharfBinary returns the path of a wharf binary built the way scripts/install
// builds it (static, seccomp). With WHARF_BINARY set it uses that file instead
// (scripts/test builds once for all packages). Built once per test process.
func WharfBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("WHARF_BINARY"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("testenv: WHARF_BINARY: %v", err)
		}
		return p
	}
	buildOnce.Do(func() {
		root := ModuleRoot(t)
		dir := cacheDir(t)
		tmp, err := os.CreateTemp(dir, "wharf-build-*")
		if err != nil {
			buildErr = err.Error()
			return
		}
		tmp.Close()
		cmd := exec.Command("go", "build", "-tags", "seccomp netgo osusergo",
			"-ldflags", "-extldflags -static", "-o", tmp.Name(), "./cmd/wharf")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Remove(tmp.Name())
			buildErr = "go build ./cmd/wharf: " + err.Error() + "\n" + string(out)
			return
		}
		// Rename is atomic: a parallel test process running the old binary
		// keeps its inode.
		buildPath = filepath.Join(dir, "wharf")
		if err := os.Rename(tmp.Name(), buildPath); err != nil {
			buildErr = err.Error()
		}
	})
	if buildErr != "" {
		t.Fatalf("testenv: %s", buildErr)
	}
	return buildPath
}
