package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/testenv"
)

func TestUser(t *testing.T) {
	d, w := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			want := "uid=1000(wharfuser) gid=1000(wharfgrp) groups=1000(wharfgrp),1001(extra)"
			if got := c.must(t, "run", "--rm", "-u", "wharfuser", "busybox", "id"); got != want {
				t.Errorf("-u wharfuser: %q, want %q", got, want)
			}
			if got := c.must(t, "run", "--rm", "-u", "1000:1001", "busybox", "id"); !strings.HasPrefix(got, "uid=1000(wharfuser) gid=1001(extra)") {
				t.Errorf("-u 1000:1001: %q", got)
			}
			if got := c.must(t, "run", "--rm", "busybox", "id", "-u"); got != "0" {
				t.Errorf("default user: %q", got)
			}
		})
	}
	id := mustID(t, w.must(t, "run", "-d", "busybox", "sleep", "1000"))
	if got := w.must(t, "exec", "-u", "nobody", id, "id", "-u"); got != "65534" {
		t.Errorf("exec -u nobody: %q", got)
	}
	w.must(t, "rm", "-f", id)
}

func TestInit(t *testing.T) {
	d, _ := setup(t)
	initName := "wharf-init"
	if os.Getenv(testenv.ReferenceEnv) == "dockerd" {
		initName = "docker-init"
	}
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			if got := pid1(t, c.must(t, "run", "--rm", "--init", "busybox", "ps")); !strings.Contains(got, initName) {
				t.Errorf("--init: PID 1 is %q, want %s", got, initName)
			}
			if got := pid1(t, c.must(t, "run", "--rm", "busybox", "ps")); !strings.Contains(got, "ps") || strings.Contains(got, "init") {
				t.Errorf("without --init: PID 1 is %q, want ps", got)
			}
		})
	}
}

// pid1 returns the line of busybox ps output for PID 1.
func pid1(t testing.TB, ps string) string {
	for _, line := range strings.Split(ps, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "1" {
			return line
		}
	}
	t.Errorf("no PID 1 in ps output:\n%s", ps)
	return ""
}

// TestCgroupLimits reads -m, --cpus and --pids-limit back from the kernel,
// in the container's own cgroup under the daemon's --cgroup-parent.
func TestCgroupLimits(t *testing.T) {
	d, w := setup(t)
	id := mustID(t, w.must(t, "run", "-d", "-m", "64m", "--cpus", "0.5", "--pids-limit", "50", "busybox", "sleep", "1000"))
	defer w.must(t, "rm", "-f", id)
	pid, err := strconv.Atoi(w.must(t, "inspect", "-f", "{{.State.Pid}}", id))
	if err != nil || pid <= 0 {
		t.Fatalf("State.Pid: %v", err)
	}
	cg := procCgroups(t, pid)
	parent := strings.TrimPrefix(d.CgroupParent, "/")
	read := func(file string) string {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%v", err)
		}
		return strings.TrimSpace(string(b))
	}
	if mem, ok := cg["memory"]; ok { // cgroup v1
		if !strings.Contains(mem, parent) {
			t.Errorf("memory cgroup %s is not under %s", mem, d.CgroupParent)
		}
		if got := read(filepath.Join("/sys/fs/cgroup/memory", mem, "memory.limit_in_bytes")); got != "67108864" {
			t.Errorf("memory.limit_in_bytes = %s", got)
		}
		cpu := filepath.Join("/sys/fs/cgroup/cpu", cg["cpu"])
		if q, p := read(filepath.Join(cpu, "cpu.cfs_quota_us")), read(filepath.Join(cpu, "cpu.cfs_period_us")); q != "50000" || p != "100000" {
			t.Errorf("cpu quota/period = %s/%s, want 50000/100000", q, p)
		}
		if got := read(filepath.Join("/sys/fs/cgroup/pids", cg["pids"], "pids.max")); got != "50" {
			t.Errorf("pids.max = %s", got)
		}
		return
	}
	unified, ok := cg[""]
	if !ok {
		t.Fatalf("no memory (v1) or unified (v2) cgroup for pid %d: %v", pid, cg)
	}
	dir := filepath.Join("/sys/fs/cgroup", unified)
	if !strings.Contains(unified, parent) {
		t.Errorf("cgroup %s is not under %s", unified, d.CgroupParent)
	}
	if got := read(filepath.Join(dir, "memory.max")); got != "67108864" {
		t.Errorf("memory.max = %s", got)
	}
	if got := read(filepath.Join(dir, "cpu.max")); got != "50000 100000" {
		t.Errorf("cpu.max = %s", got)
	}
	if got := read(filepath.Join(dir, "pids.max")); got != "50" {
		t.Errorf("pids.max = %s", got)
	}
}

// procCgroups maps each v1 controller (and "" for the unified hierarchy) to
// the cgroup path of pid, from /proc/<pid>/cgroup.
func procCgroups(t testing.TB, pid int) map[string]string {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, ctl := range strings.Split(parts[1], ",") {
			m[ctl] = parts[2]
		}
	}
	return m
}

func TestNetworkModes(t *testing.T) {
	d, _ := setup(t)
	ents, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Fatal(err)
	}
	var host []string
	for _, e := range ents {
		host = append(host, e.Name())
	}
	host = stableLinks(host)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			if got := c.must(t, "run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"); got != "lo" {
				t.Errorf("--network none: interfaces %q, want only lo", got)
			}
			// Without --network: its own namespace on the default bridge
			// (the reference dockerd here runs with --bridge none).
			if got := strings.Join(strings.Fields(c.must(t, "run", "--rm", "busybox", "ls", "/sys/class/net")), " "); onReference() && got != "lo" {
				t.Errorf("default network on the reference (--bridge none): interfaces %q, want lo", got)
			} else if !onReference() && got != "eth0 lo" {
				t.Errorf("default network: interfaces %q, want eth0 and lo", got)
			}
			if got := c.must(t, "run", "--rm", "--network", "none", "busybox", "cat", "/sys/class/net/lo/operstate"); got == "down" {
				t.Errorf("--network none: lo is down")
			}
			got := stableLinks(strings.Fields(c.must(t, "run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net")))
			if strings.Join(got, " ") != strings.Join(host, " ") {
				t.Errorf("--network host: interfaces %v, host has %v", got, host)
			}
		})
	}
}

// stableLinks sorts interface names without the bridges and veths that
// test daemons running side by side create and delete meanwhile.
func stableLinks(names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, "wt") && !strings.HasPrefix(n, "veth") && !strings.HasPrefix(n, "br-") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
