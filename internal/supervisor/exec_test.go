package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
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
	cg, _ := filepath.Glob("/sys/fs/cgroup/*/" + cgroupParent + "/" + req.ID)
	if len(cg) > 0 {
		t.Errorf("cgroups left after exit: %v", cg)
	}
	if err := fresh.Delete(c, req.ID); err != nil {
		t.Fatal(err)
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
