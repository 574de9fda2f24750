// Package e2e drives whole user sessions through the real binaries: our CLI,
// the stock docker CLIs (28.x and Debian's 20.10) and the moby Go client,
// each against its own isolated daemon from internal/testenv.
//
// With WHARF_TEST_REFERENCE=dockerd the same tests run against Debian's
// dockerd 20.10 (and the docker CLI in place of ours): that is how their
// expectations were checked against Docker. Only the supervision tests,
// which Docker without live-restore cannot pass, skip themselves there.
package e2e

import (
	osexec "os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/testenv"
)

// tool is one way a user talks to the daemon.
type tool struct {
	name string
	cmd  func(t testing.TB, args ...string) *osexec.Cmd
}

// clients: ours, the docker CLI 28 and Debian's docker 20.10 (API 1.41).
func clients(d *testenv.Daemon) []tool {
	return []tool{
		{"wharf", func(t testing.TB, args ...string) *osexec.Cmd { return d.Command(args...) }},
		{"docker", func(t testing.TB, args ...string) *osexec.Cmd {
			return d.DockerCommand(testenv.RequireBinary(t, testenv.DockerCLI), args...)
		}},
		{"docker-20.10", func(t testing.TB, args ...string) *osexec.Cmd {
			return d.DockerCommand(testenv.RequireBinary(t, testenv.DockerCLIOld), args...)
		}},
	}
}

func (c tool) run(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return testenv.Run(t, c.cmd(t, args...))
}

// must runs a command that has to succeed and returns its trimmed stdout.
func (c tool) must(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, code := c.run(t, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout: %s\nstderr: %s", c.name, strings.Join(args, " "), code, out, errOut)
	}
	return strings.TrimSpace(out)
}

// setup starts an isolated daemon with busybox:latest imported.
func setup(t *testing.T) (*testenv.Daemon, tool) {
	t.Helper()
	d := testenv.StartDaemon(t)
	d.ImportBusybox(t)
	return d, clients(d)[0]
}

var fullID = regexp.MustCompile(`^[0-9a-f]{64}$`)

func mustID(t testing.TB, s string) string {
	t.Helper()
	s = strings.TrimSpace(s)
	if !fullID.MatchString(s) {
		t.Fatalf("expected a 64-hex container ID, got %q", s)
	}
	return s
}

// allIDs is `ps -a -q --no-trunc`, sorted.
func allIDs(t testing.TB, c tool) []string {
	t.Helper()
	ids := strings.Fields(c.must(t, "ps", "-a", "-q", "--no-trunc"))
	sort.Strings(ids)
	return ids
}

// eventually polls cond every 50ms until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncBuffer collects a background command's output safely.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// shellQuote quotes words for sh (tmux runs its command through a shell).
func shellQuote(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// plain prepares a plain command (no daemon flags).
func plain(name string, args ...string) *osexec.Cmd { return osexec.Command(name, args...) }
