package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/testenv"
)

// TestSupervision kills the daemon with SIGKILL under a running container:
// the container must keep running and logging, and the restarted daemon must
// still exec into it, read its logs and stop it.
func TestSupervision(t *testing.T) {
	skipOnReference(t)
	d, w := setup(t)
	id := mustID(t, w.must(t, "run", "-d", "--name", "counter", "busybox", "sh", "-c",
		"i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"))
	pid, err := strconv.Atoi(w.must(t, "inspect", "-f", "{{.State.Pid}}", id))
	if err != nil || pid <= 0 {
		t.Fatalf("State.Pid: %v", err)
	}
	logPath := w.must(t, "inspect", "-f", "{{.LogPath}}", id)
	if logPath == "" {
		logPath = filepath.Join(d.DataRoot, "containers", id, id+"-json.log")
	}
	eventually(t, 5*time.Second, "the first log lines", func() bool { return fileSize(logPath) > 0 })

	d.Kill9()
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("container process %d died with the daemon: %v", pid, err)
	}
	size := fileSize(logPath)
	eventually(t, 5*time.Second, "the log to grow while the daemon is down", func() bool { return fileSize(logPath) > size })
	lastDown := lastTick(t, readLogFile(t, logPath))

	d.Restart()
	if st := w.must(t, "inspect", "-f", "{{.State.Running}} {{.State.Pid}}", "counter"); st != "true "+strconv.Itoa(pid) {
		t.Errorf("after restart: Running Pid = %q, want true %d", st, pid)
	}
	if ps := w.must(t, "ps", "-q", "--no-trunc"); !strings.Contains(ps, id) {
		t.Errorf("ps after restart lacks the container:\n%s", ps)
	}
	if got := w.must(t, "exec", "counter", "echo", "alive"); got != "alive" {
		t.Errorf("exec after restart: %q", got)
	}
	logs := w.must(t, "logs", "counter")
	if !strings.HasPrefix(logs, "tick 0\n") || lastTick(t, logs) < lastDown {
		t.Errorf("logs after restart miss lines (last tick %d while down); got:\n%s", lastDown, logs)
	}
	start := time.Now()
	w.must(t, "stop", "-t", "1", "counter")
	if el := time.Since(start); el > 8*time.Second {
		t.Errorf("stop took %v", el)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("container process %d survives stop", pid)
	}
	w.must(t, "rm", "counter")
}

// TestExitWhileDaemonDown: the exit status of a container that ends while
// no daemon runs is kept by the supervisor and reported after the restart.
func TestExitWhileDaemonDown(t *testing.T) {
	skipOnReference(t)
	d, w := setup(t)
	id := mustID(t, w.must(t, "run", "-d", "busybox", "sh", "-c", "sleep 1; exit 3"))
	pid, _ := strconv.Atoi(w.must(t, "inspect", "-f", "{{.State.Pid}}", id))
	d.Kill9()
	eventually(t, 10*time.Second, "the container to exit", func() bool { return pid > 0 && syscall.Kill(pid, 0) != nil })
	d.Restart()
	if got := w.must(t, "wait", id); got != "3" {
		t.Errorf("wait: %q, want 3", got)
	}
	if got := w.must(t, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id); got != "exited 3" {
		t.Errorf("state: %q, want exited 3", got)
	}
	if got := w.must(t, "ps", "-a", "--filter", "exited=3", "-q", "--no-trunc"); got != id {
		t.Errorf("ps --filter exited=3: %q", got)
	}
	w.must(t, "rm", id)
}

// skipOnReference: dockerd's containers do not outlive a SIGKILLed dockerd
// with their logs (its log copier dies with it), so these are Wharf's own.
func skipOnReference(t *testing.T) {
	if os.Getenv(testenv.ReferenceEnv) == "dockerd" {
		t.Skip("supervision across a daemon SIGKILL is Wharf-specific; dockerd (no live-restore) differs")
	}
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func readLogFile(t testing.TB, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var tickRE = regexp.MustCompile(`tick (\d+)`)

// lastTick is the highest counter value in s (plain or json-file text).
func lastTick(t testing.TB, s string) int {
	m := tickRE.FindAllStringSubmatch(s, -1)
	if len(m) == 0 {
		t.Fatalf("no tick in %q", s)
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}
