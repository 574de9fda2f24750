package runtime

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/oci"
)

// TestStartCost times create (to the init blocked on its exec fifo),
// start, exit and destroy of `true` with Docker's full default spec, and
// with one part of it removed at a time, to show what each part costs.
func TestStartCost(t *testing.T) {
	if os.Getuid() != 0 || testing.Short() {
		t.Skip("root, slow")
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox-static is not installed")
	}
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "etc"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(rootfs, "bin/busybox"), b, 0o755)
	os.Symlink("busybox", filepath.Join(rootfs, "bin/true"))
	os.WriteFile(filepath.Join(rootfs, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(rootfs, "etc/group"), []byte("root:x:0:\n"), 0o644)
	for _, f := range []string{"hosts", "hostname", "resolv.conf"} {
		os.WriteFile(filepath.Join(dir, f), []byte("\n"), 0o644)
	}
	rt, err := New(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	cgParent := "wharf-rtcost-" + filepath.Base(dir)
	t.Cleanup(func() {
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + cgParent)
		for _, d := range dirs {
			os.Remove(d)
		}
	})
	variants := []struct {
		name string
		edit func(*specs.Spec)
	}{
		{"docker defaults", func(*specs.Spec) {}},
		{"- seccomp", func(s *specs.Spec) { s.Linux.Seccomp = nil }},
		{"- masked+readonly paths", func(s *specs.Spec) { s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil }},
		{"- /sys/fs/cgroup mount", func(s *specs.Spec) {
			s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/sys/fs/cgroup" })
		}},
		{"- hosts/hostname/resolv binds", func(s *specs.Spec) {
			s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Type == "bind" })
		}},
		{"- device nodes", func(s *specs.Spec) { s.Linux.Devices = nil }},
		{"- all of the above", func(s *specs.Spec) {
			s.Linux.Seccomp, s.Linux.MaskedPaths, s.Linux.ReadonlyPaths, s.Linux.Devices = nil, nil, nil, nil
			s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool {
				return m.Type == "bind" || m.Destination == "/sys/fs/cgroup"
			})
		}},
	}
	const n = 21
	create := make([][]time.Duration, len(variants))
	total := make([][]time.Duration, len(variants))
	for j := range n + 1 { // rounds interleave the variants: noise hits all alike
		for i, v := range variants {
			id := fmt.Sprintf("rtcost-%d-%d", i, j)
			spec, err := oci.Spec(oci.Input{
				ID:         id + "-padding",
				Config:     &container.Config{Image: "busybox", Cmd: []string{"true"}},
				HostConfig: &container.HostConfig{NetworkMode: "none"},
				RootPath:   rootfs, RootfsDirs: []string{rootfs},
				HostsPath: filepath.Join(dir, "hosts"), HostnamePath: filepath.Join(dir, "hostname"),
				ResolvConfPath: filepath.Join(dir, "resolv.conf"),
				CgroupParent:   "/" + cgParent, Seccomp: true, ImageArch: "amd64",
			})
			if err != nil {
				t.Fatal(err)
			}
			v.edit(spec)
			t0 := time.Now()
			c, p, err := rt.Create(id, spec, Stdio{Discard: true})
			if err != nil {
				t.Fatalf("%s: %v", v.name, err)
			}
			t1 := time.Now()
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			var ws unix.WaitStatus
			unix.Wait4(p.Pid, &ws, 0, nil) // our child: reaped directly
			if err := c.Destroy(); err != nil {
				t.Fatal(err)
			}
			if ws.ExitStatus() != 0 {
				t.Fatalf("%s: exit %d", v.name, ws.ExitStatus())
			}
			if j > 0 { // the first round warms up
				create[i] = append(create[i], t1.Sub(t0))
				total[i] = append(total[i], time.Since(t0))
			}
		}
	}
	for i, v := range variants {
		slices.Sort(create[i])
		slices.Sort(total[i])
		t.Logf("%-30s create %6.2f ms  create+start+exit+destroy %6.2f ms", v.name, ms(create[i][n/2]), ms(total[i][n/2]))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
