package container

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/errdefs"
)

// fakeClock records the restart backoffs; held, its timers fire only when
// the test calls fire.
type fakeClock struct {
	mu     sync.Mutex
	delays []time.Duration
	hold   bool
	timers []chan time.Time
}

func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.delays = append(c.delays, d)
	ch := make(chan time.Time, 1)
	if c.hold {
		c.timers = append(c.timers, ch)
	} else {
		ch <- time.Now()
	}
	return ch
}

func (c *fakeClock) fire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.timers {
		ch <- time.Now()
	}
	c.timers = nil
}

func (c *fakeClock) seen() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration{}, c.delays...)
}

func withClock(s *Service, hold bool) *fakeClock {
	c := &fakeClock{hold: hold}
	s.after = c.after
	return c
}

func policy(name string, max int) *container.HostConfig {
	return &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyMode(name), MaximumRetryCount: max}}
}

// waitRun waits for the container to be running with the given restart count.
func waitRun(t *testing.T, s *Service, ref string, restarts int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		insp, err := s.ContainerInspect(context.Background(), ref, false)
		if err == nil && insp.State.Status == "running" && insp.RestartCount == restarts {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %+v restarts %d (err %v), want running after %d restarts", ref, insp.State, insp.RestartCount, err, restarts)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestShouldRestart(t *testing.T) {
	for _, c := range []struct {
		name            string
		max, code, runs int
		manual, want    bool
	}{
		{"no", 0, 1, 0, false, false},
		{"", 0, 1, 0, false, false},
		{"always", 0, 0, 0, false, true},
		{"always", 0, 0, 0, true, true},
		{"unless-stopped", 0, 0, 0, false, true},
		{"unless-stopped", 0, 137, 0, true, false},
		{"on-failure", 0, 0, 0, false, false},
		{"on-failure", 0, 1, 99, false, true},
		{"on-failure", 2, 3, 1, false, true},
		{"on-failure", 2, 3, 2, false, false},
	} {
		p := container.RestartPolicy{Name: container.RestartPolicyMode(c.name), MaximumRetryCount: c.max}
		if got := shouldRestart(p, c.code, c.manual, c.runs); got != c.want {
			t.Errorf("%+v: got %v", c, got)
		}
	}
}

func TestNextBackoff(t *testing.T) {
	d := time.Duration(0)
	var got []time.Duration
	for range 12 {
		d = nextBackoff(d, time.Second)
		got = append(got, d)
	}
	want := []time.Duration{100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("backoffs %v, want %v", got, want)
	}
	if d := nextBackoff(time.Minute, 10*time.Second); d != firstBackoff {
		t.Fatalf("after a 10 s run: %v", d)
	}
}

func TestCreateValidatesRestartPolicy(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		hc   *container.HostConfig
		want string
	}{
		{policy("sometimes", 0), "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"},
		{policy("always", 3), "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
		{policy("on-failure", -1), "invalid restart policy: maximum retry count cannot be negative"},
		{&container.HostConfig{AutoRemove: true, RestartPolicy: container.RestartPolicy{Name: "always"}}, "can't create 'AutoRemove' container with restart policy"},
	} {
		_, err := f.s.ContainerCreate(context.Background(), "", &container.Config{Image: "busybox"}, c.hc, nil)
		if !errors.Is(err, errdefs.ErrInvalid) || err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.hc.RestartPolicy, err, c.want)
		}
	}
	if list, _ := f.s.ContainerList(context.Background(), api.ListOptions{All: true}); len(list) != 0 {
		t.Fatalf("refused creates left %d containers", len(list))
	}
	create(t, f.s, "", nil, &container.HostConfig{AutoRemove: true, RestartPolicy: container.RestartPolicy{Name: "no"}})
}

func TestOnFailureRetriesThenStops(t *testing.T) {
	f := newFixture(t)
	clock := withClock(f.s, false)
	ctx := context.Background()
	id := create(t, f.s, "", nil, policy("on-failure", 2))
	if err := f.s.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 2; n++ {
		f.sup.exit(id, 3)
		waitRun(t, f.s, id, n)
	}
	wait, _ := f.s.ContainerWait(ctx, id, container.WaitConditionNextExit)
	f.sup.exit(id, 3)
	if res := <-wait; res.StatusCode != 3 {
		t.Fatalf("wait: %+v", res)
	}
	insp := waitStatus(t, f.s, id, "exited")
	if insp.RestartCount != 2 || insp.State.ExitCode != 3 || insp.State.Restarting || insp.State.Running {
		t.Fatalf("after retries: %+v restarts %d", insp.State, insp.RestartCount)
	}
	if got := clock.seen(); !reflect.DeepEqual(got, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}) {
		t.Fatalf("backoffs %v", got)
	}
	// A user start resets the count, as in Docker; exit 0 is no failure.
	if err := f.s.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	f.sup.exit(id, 0)
	if insp := waitStatus(t, f.s, id, "exited"); insp.RestartCount != 0 {
		t.Fatalf("on-failure restarted after exit 0: %d", insp.RestartCount)
	}
}

func TestRestartingStateAndStopCancels(t *testing.T) {
	f := newFixture(t)
	clock := withClock(f.s, true)
	ctx := context.Background()
	id := create(t, f.s, "web", nil, policy("always", 0))
	if err := f.s.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	f.sup.exit(id, 0)
	insp := waitStatus(t, f.s, id, "restarting")
	if !insp.State.Restarting || !insp.State.Running || insp.State.Pid != 0 || insp.RestartCount != 1 {
		t.Fatalf("restarting: %+v restarts %d", insp.State, insp.RestartCount)
	}
	list, _ := f.s.ContainerList(ctx, api.ListOptions{})
	if len(list) != 1 || !strings.HasPrefix(list[0].Status, "Restarting (0) ") || list[0].State != "restarting" {
		t.Fatalf("ps: %+v", list)
	}
	if err := f.s.ContainerStart(ctx, id); !errors.Is(err, errdefs.ErrNotModified) {
		t.Fatalf("start while restarting: %v", err)
	}
	if err := f.s.ContainerRemove(ctx, id, false, false); !errors.Is(err, errdefs.ErrConflict) || !strings.Contains(err.Error(), "container is restarting") {
		t.Fatalf("rm while restarting: %v", err)
	}
	notRunning, _ := f.s.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	if err := f.s.ContainerStop(ctx, id, "", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-notRunning:
		if res.StatusCode != 0 {
			t.Fatalf("wait not-running: %+v", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stop of a restarting container did not end a not-running wait")
	}
	clock.fire() // the cancelled timer must not start it
	time.Sleep(50 * time.Millisecond)
	insp = waitStatus(t, f.s, id, "exited")
	if insp.State.Running || insp.State.Restarting {
		t.Fatalf("after stop: %+v", insp.State)
	}

	// Stopping a running always container: its exit is not restarted.
	if err := f.s.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := f.s.ContainerStop(ctx, id, "", nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if insp := waitStatus(t, f.s, id, "exited"); insp.RestartCount != 0 || len(clock.seen()) != 1 {
		t.Fatalf("stop restarted it: %+v restarts %d", insp.State, insp.RestartCount)
	}

	// rm -f cancels a pending restart and removes.
	if err := f.s.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	f.sup.exit(id, 1)
	waitStatus(t, f.s, id, "restarting")
	if err := f.s.ContainerRemove(ctx, id, true, false); err != nil {
		t.Fatal(err)
	}
	clock.fire()
	time.Sleep(50 * time.Millisecond)
	if _, err := f.s.ContainerInspect(ctx, id, false); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("after rm -f: %v", err)
	}
}

func TestKillCancelsRestart(t *testing.T) {
	f := newFixture(t)
	withClock(f.s, false)
	ctx := context.Background()
	id := create(t, f.s, "", nil, policy("unless-stopped", 0))
	if err := f.s.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	f.sup.exit(id, 2)
	waitRun(t, f.s, id, 1)
	if err := f.s.ContainerKill(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if insp := waitStatus(t, f.s, id, "exited"); insp.State.ExitCode != 137 || insp.RestartCount != 1 {
		t.Fatalf("after kill: %+v restarts %d", insp.State, insp.RestartCount)
	}
}

// TestRestoreRestartPolicies: at daemon start, always comes back even after
// a user stop, unless-stopped only when the user did not stop it, and one
// that was waiting to restart when the daemon died is started.
func TestRestoreRestartPolicies(t *testing.T) {
	f := newFixture(t)
	withClock(f.s, true)
	ctx := context.Background()
	always := create(t, f.s, "always", nil, policy("always", 0))
	unless := create(t, f.s, "unless", nil, policy("unless-stopped", 0))
	stopped := create(t, f.s, "stopped", nil, policy("unless-stopped", 0))
	pending := create(t, f.s, "pending", nil, policy("on-failure", 5))
	plain := create(t, f.s, "plain", nil, nil)
	for _, id := range []string{always, unless, stopped, pending, plain} {
		if err := f.s.ContainerStart(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{always, stopped} {
		if err := f.s.ContainerStop(ctx, id, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	f.sup.exit(pending, 1)
	waitStatus(t, f.s, pending, "restarting")
	f.sup.exit(plain, 1)
	waitStatus(t, f.s, plain, "exited")

	s := f.reload(t) // the old service's timers are held forever
	withClock(s, false)
	if err := s.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{always: "running", unless: "running", stopped: "exited", pending: "running", plain: "exited"} {
		insp, err := s.ContainerInspect(ctx, id, false)
		if err != nil || string(insp.State.Status) != want {
			t.Errorf("%s after restore: %+v (%v), want %s", insp.Name, insp.State, err, want)
		}
	}
	// The stop mark outlives the daemon; a user start clears it.
	if err := s.ContainerStart(ctx, stopped); err != nil {
		t.Fatal(err)
	}
	f.sup.exit(stopped, 0)
	waitRun(t, s, stopped, 1)
}
