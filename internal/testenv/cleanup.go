package testenv

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Sweep removes everything a test left under dir and in the cgroup named
// cgroupParent (any hierarchy, any depth): it kills the processes whose
// command line names dir (daemon, supervisor) or whose root is below it
// (containers), the supervisor whose pid is in
// a *.pid or *.lock file under dir, and every process of the cgroup; it unmounts all
// under dir (deepest first, detached), removes the cgroups (children first)
// and finally dir itself. Problems are logged, not fatal: a sweep must run to
// the end. cgroupParent may be empty.
func Sweep(t testing.TB, dir, cgroupParent string) {
	t.Helper()
	killPidFiles(t, dir)
	killByCmdline(t, dir)
	if cgroupParent != "" {
		killCgroup(t, cgroupParent)
	}
	unmountUnder(t, dir)
	if cgroupParent != "" {
		removeCgroups(t, cgroupParent)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Logf("testenv: remove %s: %v", dir, err)
	}
}

// killPidFiles kills the pids written in <dir>/**/*.{pid,lock} (e.g. the
// supervisor's), when the process still names dir in its command line: a
// stale pid file must not make us kill a stranger.
func killPidFiles(t testing.TB, dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".pid") || strings.HasSuffix(p, ".lock")) {
			return nil
		}
		b, _ := os.ReadFile(p)
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil && pid > 1 && pid != os.Getpid() && names(cmdline(pid), dir) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		return nil
	})
}

func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
}

// names says whether a command line mentions dir or a path below it (and not
// merely a longer name that starts the same).
func names(cmdline, dir string) bool {
	s := cmdline + " "
	return strings.Contains(s, dir+"/") || strings.Contains(s, dir+" ")
}

// killByCmdline kills every process (but us) whose command line or root
// directory is dir or below it.
func killByCmdline(t testing.TB, dir string) {
	for i := 0; i < 50; i++ {
		found := false
		for _, pid := range allPids() {
			// A container whose root is a rootfs under dir is ours too, even
			// if it escaped the cgroup parent.
			root, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/root")
			if pid == os.Getpid() || !(names(cmdline(pid), dir) || names(root, dir)) {
				continue
			}
			if isZombie(pid) {
				continue
			}
			found = true
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if !found {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("testenv: processes naming %s survive SIGKILL", dir)
}

func allPids() []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

func isZombie(pid int) bool {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && len(b) > i+2 && b[i+2] == 'Z'
}

// cgroupMounts lists the mount points of all cgroup v1 hierarchies and of
// the cgroup2 hierarchy.
func cgroupMounts() []string {
	var roots []string
	for _, m := range mountInfo() {
		if m.fstype == "cgroup" || m.fstype == "cgroup2" {
			roots = append(roots, m.point)
		}
	}
	return roots
}

// findCgroups returns the directories named name in every hierarchy (up to a
// few levels deep: v1 memory may nest under the caller's cgroup), with their
// descendants, children before parents.
func findCgroups(name string) []string {
	var dirs []string
	for _, root := range cgroupMounts() {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			depth := strings.Count(strings.TrimPrefix(p, root), "/")
			if d.Name() == name {
				filepath.WalkDir(p, func(q string, e fs.DirEntry, err error) error {
					if err == nil && e.IsDir() {
						dirs = append(dirs, q)
					}
					return nil
				})
				return filepath.SkipDir
			}
			if depth >= 4 {
				return filepath.SkipDir
			}
			return nil
		})
	}
	// Deepest first so that rmdir meets empty directories.
	sort.SliceStable(dirs, func(i, j int) bool {
		return strings.Count(dirs[i], "/") > strings.Count(dirs[j], "/")
	})
	return dirs
}

// killCgroup thaws and kills every process in the cgroup name.
func killCgroup(t testing.TB, name string) {
	for i := 0; i < 100; i++ {
		found := false
		for _, d := range findCgroups(name) {
			os.WriteFile(filepath.Join(d, "freezer.state"), []byte("THAWED"), 0)
			os.WriteFile(filepath.Join(d, "cgroup.freeze"), []byte("0"), 0)
			os.WriteFile(filepath.Join(d, "cgroup.kill"), []byte("1"), 0)
			b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				pid, _ := strconv.Atoi(f)
				if pid > 1 && pid != os.Getpid() {
					found = true
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		if !found {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("testenv: processes in cgroup %s survive SIGKILL", name)
}

func removeCgroups(t testing.TB, name string) {
	for _, d := range findCgroups(name) {
		var err error
		for i := 0; i < 50; i++ {
			if err = syscall.Rmdir(d); err == nil || errors.Is(err, syscall.ENOENT) {
				err = nil
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Logf("testenv: rmdir cgroup %s: %v", d, err)
		}
	}
}

type mountEntry struct{ point, fstype string }

// mountInfo parses /proc/self/mountinfo.
func mountInfo() []mountEntry {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var ms []mountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		m := mountEntry{point: unescapeOctal(fields[4])}
		for i, f := range fields {
			if f == "-" && i+1 < len(fields) {
				m.fstype = fields[i+1]
				break
			}
		}
		ms = append(ms, m)
	}
	return ms
}

// unescapeOctal undoes mountinfo's \040-style escapes.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// MountsUnder lists the mount points at or below dir, deepest first.
func MountsUnder(dir string) []string {
	dir = filepath.Clean(dir)
	var pts []string
	for _, m := range mountInfo() {
		if m.point == dir || strings.HasPrefix(m.point, dir+"/") {
			pts = append(pts, m.point)
		}
	}
	sort.SliceStable(pts, func(i, j int) bool {
		return strings.Count(pts[i], "/") > strings.Count(pts[j], "/")
	})
	return pts
}

func unmountUnder(t testing.TB, dir string) {
	for i := 0; i < 5; i++ {
		pts := MountsUnder(dir)
		if len(pts) == 0 {
			return
		}
		for _, p := range pts {
			if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && i == 4 {
				t.Logf("testenv: unmount %s: %v", p, err)
			}
		}
	}
}
