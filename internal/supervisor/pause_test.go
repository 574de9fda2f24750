package supervisor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errdefs"
)

// counterScript bumps /tmp/n about every 20 ms; the test reads it from the
// overlay's upper dir.
const counterScript = "i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.02; done"

func readCounter(t *testing.T, req CreateRequest) int {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(req.Bundle, "upper", "tmp", "n"))
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func waitCounterAbove(t *testing.T, req CreateRequest, n int) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if v := readCounter(t, req); v > n {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("counter stuck at %d", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startCounter(t *testing.T, id string) CreateRequest {
	t.Helper()
	req := newRequest(t, id, "sh", "-c", counterScript)
	if _, err := testClient.Create(ctx(t), req); err != nil {
		t.Fatal(err)
	}
	if _, err := testClient.Start(ctx(t), id); err != nil {
		t.Fatal(err)
	}
	waitCounterAbove(t, req, 0)
	return req
}

func wantConflict(t *testing.T, what string, err error, msg string) {
	t.Helper()
	if !errors.Is(err, errdefs.ErrConflict) || !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: got %v, want a conflict saying %q", what, err, msg)
	}
}

// TestPauseResume: a paused container's counter stops, its state says
// paused (State and List), exec and a second pause are refused; after
// Resume the counter advances again.
func TestPauseResume(t *testing.T) {
	req := startCounter(t, "pause")
	c := ctx(t)
	if err := testClient.Pause(c, req.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := testClient.State(c, req.ID); st.Status != StatusPaused {
		t.Errorf("state after pause: %+v", st)
	}
	list, _ := testClient.List(c)
	for _, st := range list {
		if st.ID == req.ID && st.Status != StatusPaused {
			t.Errorf("list after pause: %+v", st)
		}
	}
	frozen := readCounter(t, req)
	time.Sleep(300 * time.Millisecond)
	if n := readCounter(t, req); n != frozen {
		t.Errorf("counter moved from %d to %d while paused", frozen, n)
	}
	wantConflict(t, "second pause", testClient.Pause(c, req.ID), "already paused")
	_, err := testClient.Exec(c, ExecRequest{ID: req.ID, ExecID: "e1", Detach: true,
		Process: &specs.Process{Args: []string{"true"}, Cwd: "/", Env: []string{"PATH=/bin"}}})
	wantConflict(t, "exec while paused", err, "is paused")

	if err := testClient.Resume(c, req.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := testClient.State(c, req.ID); st.Status != StatusRunning {
		t.Errorf("state after resume: %+v", st)
	}
	waitCounterAbove(t, req, frozen)
	wantConflict(t, "resume of a running container", testClient.Resume(c, req.ID), "not paused")
}

// TestKillPaused: SIGKILL kills a paused container (the freezer is thawed
// for it), whether sent to the init or to every process; a SIGTERM stays
// pending until Resume delivers it.
func TestKillPaused(t *testing.T) {
	for _, all := range []bool{false, true} {
		req := startCounter(t, fmt.Sprintf("killpaused-%v", all))
		c := ctx(t)
		if err := testClient.Pause(c, req.ID); err != nil {
			t.Fatal(err)
		}
		if err := testClient.Kill(c, req.ID, syscall.SIGKILL, all); err != nil {
			t.Fatal(err)
		}
		st, err := testClient.Wait(c, req.ID)
		if err != nil || st.Status != StatusExited || st.ExitCode != 137 {
			t.Errorf("all=%v: after SIGKILL of a paused container: %+v %v", all, st, err)
		}
		wantConflict(t, "pause of an exited container", testClient.Pause(c, req.ID), "not running")
	}

	req := newRequest(t, "termpaused", "sh", "-c", "trap 'exit 3' TERM; "+counterScript)
	c := ctx(t)
	if _, err := testClient.Create(c, req); err != nil {
		t.Fatal(err)
	}
	if _, err := testClient.Start(c, req.ID); err != nil {
		t.Fatal(err)
	}
	waitCounterAbove(t, req, 0)
	if err := testClient.Pause(c, req.ID); err != nil {
		t.Fatal(err)
	}
	if err := testClient.Kill(c, req.ID, syscall.SIGTERM, false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if st, _ := testClient.State(c, req.ID); st.Status != StatusPaused {
		t.Fatalf("a SIGTERM ended a paused container: %+v", st)
	}
	if err := testClient.Resume(c, req.ID); err != nil {
		t.Fatal(err)
	}
	if st, err := testClient.Wait(c, req.ID); err != nil || st.ExitCode != 3 {
		t.Errorf("after resume the pending SIGTERM should end it with 3: %+v %v", st, err)
	}
}
