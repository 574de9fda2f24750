package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// counterLoop prints a growing counter every 50 ms; logs --tail 1 reads it
// (exec is refused while the container is paused, logs are not).
const counterLoop = "i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done"

func lastCount(t testing.TB, c tool, name string) int {
	t.Helper()
	n, _ := strconv.Atoi(strings.TrimSpace(c.must(t, "logs", "--tail", "1", name)))
	return n
}

func countAbove(t testing.TB, c tool, name string, n int) int {
	t.Helper()
	var got int
	eventually(t, 10*time.Second, "the counter to pass "+strconv.Itoa(n), func() bool {
		got = lastCount(t, c, name)
		return got > n
	})
	return got
}

// wantFailure runs a command that must fail with msg on stderr.
func (c tool) wantFailure(t testing.TB, msg string, args ...string) {
	t.Helper()
	_, errOut, code := c.run(t, args...)
	if code == 0 || !strings.Contains(errOut, msg) {
		t.Errorf("%s %s: exit %d, stderr %q; want a failure saying %q", c.name, strings.Join(args, " "), code, errOut, msg)
	}
}

// TestPauseUnpause: a paused container's counter stops; ps, inspect and
// info say paused; exec, a second pause and unpause of a running container
// are refused with Docker's messages; after unpause the counter advances;
// commit (pausing by default) of a running container leaves it running.
func TestPauseUnpause(t *testing.T) {
	d, _ := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			name := "pz-" + strings.ReplaceAll(c.name, ".", "")
			id := mustID(t, c.must(t, "run", "-d", "--name", name, "busybox", "sh", "-c", counterLoop))
			t.Cleanup(func() { c.run(t, "rm", "-f", name) })
			countAbove(t, c, name, 0)

			if out := c.must(t, "pause", name); out != name {
				t.Errorf("pause printed %q", out)
			}
			if got := c.must(t, "ps", "--filter", "name="+name, "--format", "{{.State}}|{{.Status}}"); !strings.HasPrefix(got, "paused|Up ") || !strings.HasSuffix(got, " (Paused)") {
				t.Errorf("ps: %q", got)
			}
			if got := c.must(t, "ps", "-q", "--no-trunc", "--filter", "status=paused"); got != id {
				t.Errorf("ps --filter status=paused: %q", got)
			}
			if got := c.must(t, "ps", "-q", "--filter", "status=running"); got != "" {
				t.Errorf("ps --filter status=running lists a paused container: %q", got)
			}
			if got := c.must(t, "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Paused}}", name); got != "paused true true" {
				t.Errorf("inspect: %q", got)
			}
			if got := c.must(t, "info", "-f", "{{.ContainersPaused}} {{.ContainersRunning}}"); got != "1 0" {
				t.Errorf("info paused/running: %q", got)
			}
			frozen := lastCount(t, c, name)
			time.Sleep(400 * time.Millisecond)
			if n := lastCount(t, c, name); n != frozen {
				t.Errorf("the counter moved from %d to %d while paused", frozen, n)
			}
			// Docker names the container as the user gave it here.
			c.wantFailure(t, "Container "+name+" is paused, unpause the container before exec", "exec", name, "true")
			c.wantFailure(t, "Container "+id+" is already paused", "pause", name)

			if out := c.must(t, "unpause", name); out != name {
				t.Errorf("unpause printed %q", out)
			}
			countAbove(t, c, name, frozen)
			c.wantFailure(t, "Container "+id+" is not paused", "unpause", name)
			if got := c.must(t, "exec", name, "echo", "ok"); got != "ok" {
				t.Errorf("exec after unpause: %q", got)
			}

			// commit pauses by default (-p); the container runs on after it.
			c.must(t, "exec", name, "sh", "-c", "echo kept > /kept")
			img := "paused/" + name
			c.must(t, "commit", name, img)
			c.must(t, "commit", "-p=false", name, img+":nopause")
			if got := c.must(t, "inspect", "-f", "{{.State.Status}}", name); got != "running" {
				t.Errorf("after commit: %q", got)
			}
			countAbove(t, c, name, lastCount(t, c, name))
			for _, ref := range []string{img, img + ":nopause"} {
				if got := c.must(t, "run", "--rm", ref, "cat", "/kept"); got != "kept" {
					t.Errorf("%s: /kept is %q", ref, got)
				}
			}

			// stop of a paused container thaws it so that the signal lands
			// (sh as PID 1 ignores SIGTERM: the stop ends with SIGKILL).
			c.must(t, "pause", name)
			c.must(t, "stop", "-t", "1", name)
			if got := c.must(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name); got != "exited false" {
				t.Errorf("after stop of a paused container: %q", got)
			}
			c.wantFailure(t, "Container "+id+" is not running", "pause", name)
			c.must(t, "rm", name)
			c.must(t, "rmi", img, img+":nopause")
		})
	}
}

// TestPauseKillRemove: kill and rm -f of a paused container work.
func TestPauseKillRemove(t *testing.T) {
	d, c := setup(t)
	c.must(t, "run", "-d", "--name", "pk", "busybox", "sleep", "300")
	c.must(t, "pause", "pk")
	c.must(t, "kill", "pk")
	if got := c.must(t, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.Paused}}", "pk"); got != "exited 137 false" {
		t.Errorf("after kill of a paused container: %q", got)
	}
	c.must(t, "run", "-d", "--name", "pr", "busybox", "sleep", "300")
	c.must(t, "pause", "pr")
	// dockerd 20.10: "You cannot remove a paused container <id>. Unpause
	// and then stop ..."; since 25: "... container is paused and must be
	// unpaused first", which we give.
	c.wantFailure(t, "paused", "rm", "pr")
	if got := c.must(t, "inspect", "-f", "{{.State.Status}}", "pr"); got != "paused" {
		t.Errorf("after a refused rm: %q", got)
	}
	c.must(t, "rm", "-f", "pr")

	// dockerd's rule for other signals: the stop signal (any signal when
	// none is configured) thaws the container; another one waits for unpause.
	c.must(t, "run", "-d", "--name", "pu", "busybox", "sh", "-c", "trap '' USR1; "+counterLoop)
	c.must(t, "run", "-d", "--name", "ps2", "--stop-signal", "USR2", "busybox", "sh", "-c", "trap '' USR1; "+counterLoop)
	for name, want := range map[string]string{"pu": "running", "ps2": "paused"} {
		countAbove(t, c, name, 0)
		c.must(t, "pause", name)
		c.must(t, "kill", "-s", "USR1", name)
		time.Sleep(300 * time.Millisecond) // a thaw would have happened by now
		eventually(t, 5*time.Second, name+" "+want+" after kill -s USR1", func() bool {
			return c.must(t, "inspect", "-f", "{{.State.Status}}", name) == want
		})
		c.must(t, "rm", "-f", name)
	}
	_ = d
}

// TestPausedAcrossRestart: after a daemon restart a paused container is
// still reported paused (the supervisor kept it frozen) and unpauses.
func TestPausedAcrossRestart(t *testing.T) {
	skipOnReference(t)
	d, c := setup(t)
	c.must(t, "run", "-d", "--name", "pz", "busybox", "sh", "-c", counterLoop)
	countAbove(t, c, "pz", 0)
	c.must(t, "pause", "pz")
	frozen := lastCount(t, c, "pz")
	d.Restart()
	if got := c.must(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "pz"); got != "paused true" {
		t.Errorf("after restart: %q", got)
	}
	if n := lastCount(t, c, "pz"); n != frozen {
		t.Errorf("the counter moved from %d to %d across the restart", frozen, n)
	}
	c.must(t, "unpause", "pz")
	countAbove(t, c, "pz", frozen)
	c.must(t, "rm", "-f", "pz")
}
