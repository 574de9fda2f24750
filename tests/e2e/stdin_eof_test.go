package e2e

import "testing"

// A client whose stdin is at EOF from the start (`-i` with </dev/null, as
// docker-compose's `exec -T` and CI scripts do) half-closes before the
// process has written anything: the output must still arrive.
func TestStdinAtEOFKeepsOutput(t *testing.T) {
	d, _ := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			if got := c.must(t, "run", "--rm", "-i", "busybox", "sh", "-c", "sleep 0.1; echo run-out"); got != "run-out" {
				t.Errorf("run -i </dev/null: %q, want run-out", got)
			}
			id := c.must(t, "run", "-d", "busybox", "sleep", "1000")
			t.Cleanup(func() { c.run(t, "rm", "-f", id) })
			if got := c.must(t, "exec", "-i", id, "echo", "exec-out"); got != "exec-out" {
				t.Errorf("exec -i </dev/null: %q, want exec-out", got)
			}
			if got := c.must(t, "exec", "-i", id, "sh", "-c", "cat; echo after-eof"); got != "after-eof" {
				t.Errorf("exec -i cat </dev/null: %q, want after-eof", got)
			}
		})
	}
}
