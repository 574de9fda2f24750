package supervisor

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errdefs"
)

func execProcess(args ...string) *specs.Process {
	return &specs.Process{Args: args, Cwd: "/", Env: []string{"PATH=/bin"}}
}

func TestExecKillDelete(t *testing.T) {
	req := newRequest(t, "execkill", "sleep", "1000")
	c := ctx(t)
	if _, err := testClient.Create(c, req); err != nil {
		t.Fatal(err)
	}
	st, err := testClient.Start(c, req.ID)
	if err != nil || st.Status != StatusRunning || st.Pid <= 0 {
		t.Fatalf("start: %+v %v", st, err)
	}

	s, err := testClient.Exec(c, ExecRequest{ID: req.ID, ExecID: "e1", Process: execProcess("sh", "-c", "echo hi; echo oops >&2; exit 5")})
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := demux(t, s)
	s.Close()
	if stdout != "hi\n" || stderr != "oops\n" {
		t.Errorf("exec output %q %q", stdout, stderr)
	}
	if es, err := testClient.ExecState(c, req.ID, "e1"); err != nil || es.Running || es.ExitCode != 5 {
		t.Errorf("exec state %+v %v", es, err)
	}
	_, err = testClient.Exec(c, ExecRequest{ID: req.ID, ExecID: "e2", Process: execProcess("nosuch")})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 127 {
		t.Errorf("exec of a missing command: %v", err)
	}
	// A detached exec leaves its mark in the container's filesystem.
	if _, err := testClient.Exec(c, ExecRequest{ID: req.ID, ExecID: "e3", Detach: true, Process: execProcess("touch", "/detached")}); err != nil {
		t.Fatal(err)
	}

	pids, err := testClient.Pids(c, req.ID)
	if err != nil || !slices.Contains(pids, st.Pid) {
		t.Errorf("pids %v (init %d): %v", pids, st.Pid, err)
	}
	// A client made afresh (as after a daemon restart) sees the container.
	fresh, err := Dial(filepath.Join(testExecRoot, "supervisor.sock"))
	if err != nil {
		t.Fatal(err)
	}
	all, err := fresh.List(c)
	if err != nil || !slices.ContainsFunc(all, func(s State) bool { return s.ID == req.ID && s.Status == StatusRunning }) {
		t.Errorf("list from a new client: %+v %v", all, err)
	}
	for i := 0; i < 200; i++ {
		if es, _ := fresh.ExecState(c, req.ID, "e3"); !es.Running {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(req.Spec.Root.Path, "detached")); err != nil {
		t.Errorf("detached exec: %v", err)
	}

	if err := fresh.Delete(c, req.ID); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("delete of a running container: %v", err)
	}
	if err := fresh.Kill(c, req.ID, syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	st, err = fresh.Wait(c, req.ID)
	if err != nil || st.Status != StatusExited || st.ExitCode != 137 || st.FinishedAt.IsZero() {
		t.Errorf("after SIGKILL: %+v %v", st, err)
	}
	if err := fresh.Kill(c, req.ID, syscall.SIGKILL, false); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("kill of an exited container: %v", err)
	}
	if err := fresh.Delete(c, req.ID); err != nil {
		t.Fatal(err)
	}
	// The exit is reported before the cgroups are removed: they go soon after.
	var cg []string
	for i := 0; i < 100; i++ {
		if cg, _ = filepath.Glob("/sys/fs/cgroup/*/" + cgroupParent + "/" + req.ID); len(cg) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(cg) > 0 {
		t.Errorf("cgroups left after exit and delete: %v", cg)
	}
	if mounted(req.Spec.Root.Path) {
		t.Error("rootfs still mounted after delete")
	}
	if err := fresh.Delete(c, req.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestDeleteCreated(t *testing.T) {
	req := newRequest(t, "created", "true")
	c := ctx(t)
	st, err := testClient.Create(c, req)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != StatusCreated {
		t.Errorf("status %s", st.Status)
	}
	if err := testClient.Delete(c, req.ID); err != nil {
		t.Fatal(err)
	}
	if mounted(req.Spec.Root.Path) {
		t.Error("rootfs still mounted")
	}
	if err := syscall.Kill(st.Pid, 0); err == nil {
		t.Errorf("init %d survived delete", st.Pid)
	}
}

func TestExecTTYAndStdin(t *testing.T) {
	req := newRequest(t, "exectty", "sleep", "1000")
	c := ctx(t)
	if _, err := testClient.Create(c, req); err != nil {
		t.Fatal(err)
	}
	if _, err := testClient.Start(c, req.ID); err != nil {
		t.Fatal(err)
	}
	p := execProcess("sh")
	p.Terminal = true
	s, err := testClient.Exec(c, ExecRequest{ID: req.ID, ExecID: "tty", Tty: true, Stdin: true, Process: p})
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("tty; exit 4\n"))
	out, _ := io.ReadAll(s)
	s.Close()
	if !strings.Contains(string(out), "/dev/pts/") {
		t.Errorf("exec tty output %q", out)
	}
	if es, _ := testClient.ExecState(c, req.ID, "tty"); es.Running || es.ExitCode != 4 {
		t.Errorf("exec state %+v", es)
	}

	s, err = testClient.Exec(c, ExecRequest{ID: req.ID, ExecID: "cat", Stdin: true, Process: execProcess("cat")})
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("piped"))
	s.CloseWrite()
	if stdout, _ := demux(t, s); stdout != "piped" {
		t.Errorf("exec stdin: %q", stdout)
	}
	s.Close()

	// Kill with all=true reaches every process, not only the init.
	if _, err := testClient.Exec(c, ExecRequest{ID: req.ID, ExecID: "bg", Detach: true, Process: execProcess("sleep", "1000")}); err != nil {
		t.Fatal(err)
	}
	if err := testClient.Kill(c, req.ID, syscall.SIGKILL, true); err != nil {
		t.Fatal(err)
	}
	if st, _ := testClient.Wait(c, req.ID); st.ExitCode != 137 {
		t.Errorf("exit %d", st.ExitCode)
	}
}

func TestOOMKilled(t *testing.T) {
	req := newRequest(t, "oom", "dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1")
	limit := int64(32 << 20)
	req.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
	st := runCtr(t, req)
	if st.ExitCode != 137 || !st.OOMKilled {
		t.Errorf("got exit %d oom %v, want 137 and OOMKilled", st.ExitCode, st.OOMKilled)
	}
}

func TestWaitCancelled(t *testing.T) {
	req := newRequest(t, "waitcancel", "sleep", "1000")
	c := ctx(t)
	if _, err := testClient.Create(c, req); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(c, 100*time.Millisecond)
	defer cancel()
	if _, err := testClient.Wait(short, req.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wait past its context: %v", err)
	}
}

// TestInitInContainer runs wharf-init as the container's PID 1 (--init),
// with a static wharf build given in WHARF_TEST_BIN.
func TestInitInContainer(t *testing.T) {
	bin := os.Getenv("WHARF_TEST_BIN")
	if bin == "" {
		t.Skip("set WHARF_TEST_BIN to a static wharf build")
	}
	req := newRequest(t, "withinit", "/sbin/wharf-init", "--", "sh", "-c", "sleep 100 & sleep 0.1; ps -o pid,comm; kill -TERM $$; sleep 5")
	req.Spec.Mounts = append(req.Spec.Mounts, specs.Mount{Destination: "/sbin/wharf-init", Type: "bind", Source: bin, Options: []string{"bind", "ro"}})
	c := ctx(t)
	if _, err := testClient.Create(c, req); err != nil {
		t.Fatal(err)
	}
	s, err := testClient.Attach(c, req.ID, AttachOptions{Stdout: true, Stderr: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testClient.Start(c, req.ID); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := demux(t, s)
	st, _ := testClient.Wait(c, req.ID)
	// sh is not PID 1 under the init, so SIGTERM kills it: 143.
	if st.ExitCode != 143 || !strings.Contains(stdout, "1 wharf-init") {
		t.Errorf("exit %d stdout %q stderr %q", st.ExitCode, stdout, stderr)
	}
}

// A create of an id whose previous container is still being destroyed
// waits for it: runs back to back under one id all succeed.
func TestRecreateSameID(t *testing.T) {
	req := newRequest(t, "recreate", "true")
	c := ctx(t)
	for i := 0; i < 5; i++ {
		if _, err := testClient.Create(c, req); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		if _, err := testClient.Start(c, req.ID); err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		if st, err := testClient.Wait(c, req.ID); err != nil || st.ExitCode != 0 {
			t.Fatalf("wait %d: %+v %v", i, st, err)
		}
		if err := testClient.Delete(c, req.ID); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
}
