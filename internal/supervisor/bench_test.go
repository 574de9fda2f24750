package supervisor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestLatency measures create+start+wait+delete of `true` through the
// supervisor, each with its own overlay rootfs.
func TestLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const n = 30
	phases := make([][]time.Duration, 5) // create, start, wait, delete, total
	for i := range n {
		req := newRequest(t, fmt.Sprintf("lat-%d", i), "true")
		c := ctx(t)
		t0 := time.Now()
		mark := func(p int, err error) {
			if err != nil {
				t.Fatal(err)
			}
			phases[p] = append(phases[p], time.Since(t0))
		}
		_, err := testClient.Create(c, req)
		mark(0, err)
		_, err = testClient.Start(c, req.ID)
		mark(1, err)
		st, err := testClient.Wait(c, req.ID)
		mark(2, err)
		mark(3, testClient.Delete(c, req.ID))
		if st.ExitCode != 0 {
			t.Fatalf("exit %d", st.ExitCode)
		}
	}
	for _, p := range phases[:4] {
		slices.Sort(p)
	}
	total := phases[3]
	t.Logf("create+start+wait+delete of true, median of %d: %v (min %v, max %v); cumulative medians: create %v, start %v, wait %v",
		n, total[n/2], total[0], total[n-1], phases[0][n/2], phases[1][n/2], phases[2][n/2])
}

func supervisorPid(t *testing.T, execRoot string) int {
	pids := supervisorPids(execRoot)
	if len(pids) != 1 {
		t.Fatalf("supervisors for %s: %v", execRoot, pids)
	}
	return pids[0]
}

func supervisorPids(execRoot string) []int {
	ents, _ := os.ReadDir("/proc")
	want := []byte("supervisor\x00--exec-root\x00" + execRoot + "\x00")
	var pids []int
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.HasSuffix(b, want) {
			pids = append(pids, atoi(e.Name()))
		}
	}
	return pids
}

func pssKiB(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Pss:" {
			return atoi(f[1])
		}
	}
	t.Fatal("no Pss in smaps_rollup")
	return 0
}

func fdCount(pid int) int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents)
}

// TestMemoryPerContainer measures the supervisor's PSS with 50 sleeping
// containers, and checks that deleting them releases their descriptors.
func TestMemoryPerContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const n = 50
	pid := supervisorPid(t, testExecRoot)
	c := ctx(t)
	fds0 := fdCount(pid)
	pss0 := pssKiB(t, pid)
	var ids []string
	t0 := time.Now()
	for i := range n {
		req := newRequest(t, fmt.Sprintf("mem-%d", i), "sleep", "1000")
		if _, err := testClient.Create(c, req); err != nil {
			t.Fatal(err)
		}
		if _, err := testClient.Start(c, req.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, req.ID)
	}
	perStart := time.Since(t0) / n
	time.Sleep(500 * time.Millisecond)
	pss1 := pssKiB(t, pid)
	t.Logf("supervisor PSS: %d KiB idle, %d KiB with %d sleeping containers: %.1f KiB per container (create+start %v each)",
		pss0, pss1, n, float64(pss1-pss0)/n, perStart)
	if (pss1-pss0)/n > 1024 {
		t.Errorf("more than 1 MiB PSS per container")
	}
	for _, id := range ids {
		if err := testClient.Kill(c, id, syscall.SIGKILL, false); err != nil {
			t.Fatal(err)
		}
		if _, err := testClient.Wait(c, id); err != nil {
			t.Fatal(err)
		}
		if err := testClient.Delete(c, id); err != nil {
			t.Fatal(err)
		}
	}
	if fds := fdCount(pid); fds > fds0+2 {
		ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		var links []string
		for _, e := range ents {
			l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
			links = append(links, l)
		}
		t.Errorf("descriptors: %d before, %d after deleting %d containers: %v", fds0, fds, n, links)
	}
}

// TestEnsureRunningRace starts two callers at once on a new exec-root:
// one supervisor must result, serving both.
func TestEnsureRunningRace(t *testing.T) {
	root := t.TempDir()
	exe, _ := os.Executable()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *Client
			c, errs[i] = EnsureRunning(exe, root)
			if errs[i] == nil {
				_, errs[i] = c.List(context.Background())
			}
		}()
	}
	wg.Wait()
	t.Cleanup(func() { stopSupervisor(root); time.Sleep(50 * time.Millisecond) })
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The loser of the lock race exits on its own; one must remain.
	for i := 0; i < 100 && len(supervisorPids(root)) > 1; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	supervisorPid(t, root)
	fi, err := os.Stat(filepath.Join(root, "supervisor.sock"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket: %v %v", fi.Mode(), err)
	}
}

// TestExecLatency measures an attached exec of `true` to its exit state.
func TestExecLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	req := newRequest(t, "execlat", "sleep", "1000")
	c := ctx(t)
	if _, err := testClient.Create(c, req); err != nil {
		t.Fatal(err)
	}
	if _, err := testClient.Start(c, req.ID); err != nil {
		t.Fatal(err)
	}
	var times []time.Duration
	for i := range 30 {
		id := fmt.Sprintf("x%d", i)
		t0 := time.Now()
		s, err := testClient.Exec(c, ExecRequest{ID: req.ID, ExecID: id, Process: execProcess("true")})
		if err != nil {
			t.Fatal(err)
		}
		demux(t, s)
		s.Close()
		es, err := testClient.ExecState(c, req.ID, id)
		times = append(times, time.Since(t0))
		if err != nil || es.Running || es.ExitCode != 0 {
			t.Fatalf("exec state %+v %v", es, err)
		}
	}
	slices.Sort(times)
	t.Logf("exec of true, median of 30: %v (min %v, max %v)", times[15], times[0], times[29])
}
