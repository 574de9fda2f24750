package engine_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/testenv"
)

// daemonProc is a `wharf daemon` run by hand, for what testenv.Daemon hides
// (exit status, flags that make it fail).
type daemonProc struct {
	dir, socket string
	cmd         *exec.Cmd
	stderr      bytes.Buffer
	done        chan struct{}
}

func startProc(t *testing.T, dir, execRoot, socket string, extra ...string) *daemonProc {
	t.Helper()
	cg := "wharf-test-" + hex.EncodeToString([]byte(strconv.FormatUint(rand.Uint64(), 36)))[:12]
	t.Cleanup(func() { testenv.Sweep(t, dir, cg) })
	args := append([]string{"daemon", "--data-root", filepath.Join(dir, "data"), "--exec-root", execRoot,
		"-H", "unix://" + socket, "--cgroup-parent", "/" + cg, "--config-file", filepath.Join(dir, "none.json")}, extra...)
	p := &daemonProc{dir: dir, socket: socket, done: make(chan struct{})}
	p.cmd = exec.Command(testenv.WharfBinary(t), args...)
	p.cmd.Stderr = &p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("daemon stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

func (p *daemonProc) client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", p.socket)
		}}}
}

func (p *daemonProc) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("daemon exited: %v\n%s", p.cmd.ProcessState, p.stderr.String())
		default:
		}
		if resp, err := p.client().Get("http://wharf/_ping"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("daemon not ready\n%s", p.stderr.String())
}

func (p *daemonProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatal("daemon did not exit")
		return -1
	}
}

func TestDaemonStartAndStop(t *testing.T) {
	testenv.RequireRoot(t)
	dir := testenv.ShortTempDir(t)
	execRoot := filepath.Join(dir, "exec")
	p := startProc(t, dir, execRoot, filepath.Join(dir, "w.sock"))
	p.waitReady(t)

	st, err := os.Stat(p.socket)
	if err != nil || st.Mode().Perm() != 0o660 || st.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("socket: %v %v", st.Mode(), err)
	}
	pid, _ := os.ReadFile(filepath.Join(execRoot, "wharf.pid"))
	if strings.TrimSpace(string(pid)) != strconv.Itoa(p.cmd.Process.Pid) {
		t.Errorf("pidfile %q, daemon pid %d", pid, p.cmd.Process.Pid)
	}
	resp, err := p.client().Get("http://wharf/v1.41/info")
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ DockerRootDir, OSType, ID string }
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if info.DockerRootDir != filepath.Join(dir, "data") || info.OSType != "linux" || info.ID == "" {
		t.Errorf("info %+v", info)
	}

	// A second daemon on the same exec-root refuses to start.
	second := startProc(t, dir, execRoot, filepath.Join(dir, "w2.sock"))
	if code := second.wait(t); code == 0 || !strings.Contains(second.stderr.String(), "another wharf daemon (pid "+strconv.Itoa(p.cmd.Process.Pid)+")") {
		t.Errorf("second daemon: exit %d, stderr %s", code, second.stderr.String())
	}

	// SIGTERM: exit 0, socket and pidfile gone, the supervisor lives on.
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	for _, f := range []string{p.socket, filepath.Join(execRoot, "wharf.pid")} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", f, err)
		}
	}
	if c, err := net.Dial("unix", filepath.Join(execRoot, "supervisor.sock")); err != nil {
		t.Errorf("supervisor gone after daemon stop: %v", err)
	} else {
		c.Close()
	}

	// It starts again on the same roots (the supervisor is reused).
	again := startProc(t, dir, execRoot, p.socket)
	again.waitReady(t)
}

func TestDaemonsSideBySide(t *testing.T) {
	a := testenv.StartDaemon(t)
	b := testenv.StartDaemon(t)
	for _, d := range []*testenv.Daemon{a, b} {
		resp, err := d.HTTPClient().Get("http://wharf/info")
		if err != nil {
			t.Fatal(err)
		}
		var info struct{ DockerRootDir string }
		json.NewDecoder(resp.Body).Decode(&info)
		resp.Body.Close()
		if info.DockerRootDir != d.DataRoot {
			t.Errorf("daemon %s answered for %s", d.DataRoot, info.DockerRootDir)
		}
	}
}

func TestDaemonBadHost(t *testing.T) {
	testenv.RequireRoot(t)
	dir := testenv.ShortTempDir(t)
	p := startProc(t, dir, filepath.Join(dir, "exec"), filepath.Join(dir, "w.sock"), "-H", "tcp://127.0.0.1:2375")
	if code := p.wait(t); code == 0 || !strings.Contains(p.stderr.String(), "TCP listener requires TLS, not supported yet") {
		t.Errorf("exit %d, stderr %s", code, p.stderr.String())
	}
}
