package oci

import (
	"errors"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errdefs"
)

func TestSpecDefaults(t *testing.T) {
	withBounding(t, hostBoundingWithoutResource())
	s := mustSpec(t, baseInput(t))

	if s.Version != specs.Version {
		t.Errorf("version %q", s.Version)
	}
	if s.Hostname != testID[:12] {
		t.Errorf("hostname %q, want the short ID", s.Hostname)
	}
	if s.Root.Path != "/run/wharf/containers/x/rootfs" || s.Root.Readonly {
		t.Errorf("root %+v", s.Root)
	}
	want := []specs.LinuxNamespaceType{specs.PIDNamespace, specs.NetworkNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.MountNamespace}
	if cgroupV2() {
		want = append(want, specs.CgroupNamespace)
	}
	if got := nsTypes(s); !slices.Equal(got, want) {
		t.Errorf("namespaces %v, want %v", got, want)
	}
	for _, n := range s.Linux.Namespaces {
		if n.Path != "" {
			t.Errorf("namespace %s has path %q", n.Type, n.Path)
		}
	}
	if s.Linux.CgroupsPath != "/wharf/"+testID {
		t.Errorf("cgroups path %q", s.Linux.CgroupsPath)
	}
	p := s.Process
	if !slices.Equal(p.Args, []string{"sh", "-c", "true"}) {
		t.Errorf("args %v", p.Args)
	}
	if p.Cwd != "/" || p.Terminal || p.NoNewPrivileges || p.OOMScoreAdj != nil {
		t.Errorf("process %+v", p)
	}
	if p.User.UID != 0 || p.User.GID != 0 || !slices.Equal(p.User.AdditionalGids, []uint32{0, 10}) {
		t.Errorf("user %+v", p.User)
	}
	if v, _ := envValue(p.Env, "PATH"); v != DefaultPath {
		t.Errorf("PATH %q", v)
	}
	if v, _ := envValue(p.Env, "HOSTNAME"); v != testID[:12] {
		t.Errorf("HOSTNAME %q", v)
	}
	if v, _ := envValue(p.Env, "HOME"); v != "/root" {
		t.Errorf("HOME %q", v)
	}
	if _, ok := envValue(p.Env, "TERM"); ok {
		t.Error("TERM set without a tty")
	}
	c := p.Capabilities
	if !slices.Equal(c.Bounding, defaultCaps) || !slices.Equal(c.Effective, defaultCaps) || !slices.Equal(c.Permitted, defaultCaps) {
		t.Errorf("caps %+v", c)
	}
	if len(c.Inheritable) != 0 || len(c.Ambient) != 0 {
		t.Errorf("inheritable/ambient caps %+v", c)
	}
	if len(defaultCaps) != 14 {
		t.Errorf("%d default caps", len(defaultCaps))
	}
	if len(p.Rlimits) != 0 {
		t.Errorf("rlimits %v, want inherited", p.Rlimits)
	}
	if !slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") || !slices.Contains(s.Linux.MaskedPaths, "/sys/firmware") {
		t.Errorf("masked %v", s.Linux.MaskedPaths)
	}
	if !slices.Equal(s.Linux.ReadonlyPaths, []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
		t.Errorf("readonly %v", s.Linux.ReadonlyPaths)
	}
	if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActErrno || len(s.Linux.Seccomp.Syscalls) == 0 {
		t.Errorf("seccomp %+v", s.Linux.Seccomp)
	}
	var devs []string
	for _, d := range s.Linux.Devices {
		devs = append(devs, d.Path)
	}
	if !slices.Equal(devs, []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}) {
		t.Errorf("devices %v", devs)
	}
	rules := s.Linux.Resources.Devices
	if rules[0].Allow || rules[0].Access != "rwm" || rules[0].Major != nil {
		t.Errorf("first device rule must deny all: %+v", rules[0])
	}
	allowed := func(major, minor int64) bool {
		ok := false
		for _, r := range rules {
			if r.Type != "c" || !slices.Contains([]string{"rwm"}, r.Access) {
				continue
			}
			if (r.Major == nil || *r.Major == major) && (r.Minor == nil || *r.Minor == minor) {
				ok = r.Allow
			}
		}
		return ok
	}
	for _, d := range [][2]int64{{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {136, 4}} {
		if !allowed(d[0], d[1]) {
			t.Errorf("device %d:%d not allowed", d[0], d[1])
		}
	}
	for _, d := range [][2]int64{{10, 229}, {8, 0}, {4, 1}} {
		if allowed(d[0], d[1]) {
			t.Errorf("device %d:%d allowed", d[0], d[1])
		}
	}
	r := s.Linux.Resources
	if r.Memory != nil || r.CPU != nil || r.Pids != nil {
		t.Errorf("resources without limits: %+v", r)
	}
}

func TestSpecDefaultMounts(t *testing.T) {
	s := mustSpec(t, baseInput(t))
	want := []struct {
		dst, typ string
		opts     []string
	}{
		{"/proc", "proc", []string{"nosuid", "noexec", "nodev"}},
		{"/dev", "tmpfs", []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{"/dev/pts", "devpts", []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{"/sys", "sysfs", []string{"nosuid", "noexec", "nodev", "ro"}},
		{"/sys/fs/cgroup", "cgroup", []string{"ro", "nosuid", "noexec", "nodev"}},
		{"/dev/mqueue", "mqueue", []string{"nosuid", "noexec", "nodev"}},
		{"/dev/shm", "tmpfs", []string{"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}},
	}
	if len(s.Mounts) != len(want) {
		t.Fatalf("mounts %+v", s.Mounts)
	}
	for i, w := range want {
		m := s.Mounts[i]
		if m.Destination != w.dst || m.Type != w.typ || !slices.Equal(m.Options, w.opts) {
			t.Errorf("mount %d = %+v, want %+v", i, m, w)
		}
	}
}

func withSwapLimit(t *testing.T, ok bool) {
	old := swapLimitSupported
	swapLimitSupported = func() bool { return ok }
	t.Cleanup(func() { swapLimitSupported = old })
}

func TestSpecSwapWithoutKernelSupport(t *testing.T) {
	withSwapLimit(t, false)
	in := baseInput(t)
	in.HostConfig.Memory = 64 << 20
	s := mustSpec(t, in)
	if m := s.Linux.Resources.Memory; *m.Limit != 64<<20 || m.Swap != nil {
		t.Errorf("memory %+v: swap must stay unset without memsw", m)
	}
}

func TestSpecRules(t *testing.T) {
	withBounding(t, hostBoundingWithoutResource())
	withSwapLimit(t, true)
	yes := true
	tests := []struct {
		name  string
		edit  func(in *Input)
		check func(t *testing.T, s *specs.Spec)
	}{
		{"entrypoint and cmd", func(in *Input) {
			in.Config.Entrypoint = []string{"/bin/ep", "-x"}
			in.Config.Cmd = []string{"a", "b"}
		}, func(t *testing.T, s *specs.Spec) {
			if !slices.Equal(s.Process.Args, []string{"/bin/ep", "-x", "a", "b"}) {
				t.Errorf("args %v", s.Process.Args)
			}
		}},
		{"empty entrypoint string means none", func(in *Input) {
			in.Config.Entrypoint = []string{""}
			in.Config.Cmd = []string{"echo", "hi"}
		}, func(t *testing.T, s *specs.Spec) {
			if !slices.Equal(s.Process.Args, []string{"echo", "hi"}) {
				t.Errorf("args %v", s.Process.Args)
			}
		}},
		{"init", func(in *Input) {
			in.HostConfig.Init = &yes
			in.InitPath = "/usr/libexec/wharf/wharf"
		}, func(t *testing.T, s *specs.Spec) {
			if !slices.Equal(s.Process.Args, []string{"/sbin/wharf-init", "--", "sh", "-c", "true"}) {
				t.Errorf("args %v", s.Process.Args)
			}
			m := findMount(s, "/sbin/wharf-init")
			if m == nil || m.Source != "/usr/libexec/wharf/wharf" || m.Type != "bind" || !slices.Contains(m.Options, "ro") {
				t.Errorf("init mount %+v", m)
			}
		}},
		{"tty, env, workdir, hostname", func(in *Input) {
			in.Config.Tty = true
			in.Config.Env = []string{"PATH=/custom", "FOO=bar", "HOME=/h"}
			in.Config.WorkingDir = "/srv/app/"
			in.Config.Hostname = "web"
			in.Config.Domainname = "example.org"
			in.HostConfig.ConsoleSize = [2]uint{24, 80}
		}, func(t *testing.T, s *specs.Spec) {
			p := s.Process
			want := []string{"PATH=/custom", "HOSTNAME=web", "TERM=xterm", "FOO=bar", "HOME=/h"}
			if !slices.Equal(p.Env, want) {
				t.Errorf("env %v, want %v", p.Env, want)
			}
			if !p.Terminal || p.Cwd != "/srv/app" || s.Hostname != "web" || s.Domainname != "example.org" {
				t.Errorf("tty %v cwd %q host %q domain %q", p.Terminal, p.Cwd, s.Hostname, s.Domainname)
			}
			if p.ConsoleSize == nil || p.ConsoleSize.Height != 24 || p.ConsoleSize.Width != 80 {
				t.Errorf("console %+v", p.ConsoleSize)
			}
		}},
		{"bare env key unsets", func(in *Input) {
			in.Config.Env = []string{"HOSTNAME"}
		}, func(t *testing.T, s *specs.Spec) {
			if _, ok := envValue(s.Process.Env, "HOSTNAME"); ok {
				t.Errorf("env %v", s.Process.Env)
			}
		}},
		{"user by name", func(in *Input) { in.Config.User = "app" }, func(t *testing.T, s *specs.Spec) {
			u := s.Process.User
			if u.UID != 1000 || u.GID != 1000 || !slices.Equal(u.AdditionalGids, []uint32{1000, 10, 29}) {
				t.Errorf("user %+v", u)
			}
			if v, _ := envValue(s.Process.Env, "HOME"); v != "/home/app" {
				t.Errorf("HOME %q", v)
			}
		}},
		{"group add", func(in *Input) {
			in.Config.User = "daemon"
			in.HostConfig.GroupAdd = []string{"audio", "4242"}
		}, func(t *testing.T, s *specs.Spec) {
			if u := s.Process.User; !slices.Equal(u.AdditionalGids, []uint32{1, 29, 4242}) {
				t.Errorf("user %+v", u)
			}
		}},
		{"cap add and drop", func(in *Input) {
			in.HostConfig.CapAdd = []string{"net_admin", "CAP_SYS_PTRACE"}
			in.HostConfig.CapDrop = []string{"MKNOD", "cap_chown"}
		}, func(t *testing.T, s *specs.Spec) {
			b := s.Process.Capabilities.Bounding
			for _, c := range []string{"CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_KILL"} {
				if !slices.Contains(b, c) {
					t.Errorf("%s missing from %v", c, b)
				}
			}
			for _, c := range []string{"CAP_MKNOD", "CAP_CHOWN"} {
				if slices.Contains(b, c) {
					t.Errorf("%s still in %v", c, b)
				}
			}
			if !slices.Equal(b, s.Process.Capabilities.Effective) || !slices.Equal(b, s.Process.Capabilities.Permitted) {
				t.Error("bounding, effective and permitted differ")
			}
		}},
		{"cap drop all", func(in *Input) {
			in.HostConfig.CapDrop = []string{"ALL"}
			in.HostConfig.CapAdd = []string{"NET_BIND_SERVICE"}
		}, func(t *testing.T, s *specs.Spec) {
			if b := s.Process.Capabilities.Bounding; !slices.Equal(b, []string{"CAP_NET_BIND_SERVICE"}) {
				t.Errorf("bounding %v", b)
			}
		}},
		{"cap add all stays within the daemon's bounding set", func(in *Input) {
			in.HostConfig.CapAdd = []string{"ALL"}
			in.HostConfig.CapDrop = []string{"SYS_ADMIN"}
		}, func(t *testing.T, s *specs.Spec) {
			b := s.Process.Capabilities.Bounding
			if slices.Contains(b, "CAP_SYS_ADMIN") || slices.Contains(b, "CAP_SYS_RESOURCE") || !slices.Contains(b, "CAP_NET_ADMIN") {
				t.Errorf("bounding %v", b)
			}
		}},
		{"privileged", func(in *Input) { in.HostConfig.Privileged = true }, func(t *testing.T, s *specs.Spec) {
			if !slices.Equal(s.Process.Capabilities.Bounding, hostBoundingWithoutResource()) {
				t.Errorf("bounding %v", s.Process.Capabilities.Bounding)
			}
			if s.Linux.Seccomp != nil || s.Linux.MaskedPaths != nil || s.Linux.ReadonlyPaths != nil {
				t.Error("privileged container still confined")
			}
			if slices.Contains(findMount(s, "/sys").Options, "ro") || slices.Contains(findMount(s, "/sys/fs/cgroup").Options, "ro") {
				t.Error("privileged /sys is read-only")
			}
			if d := s.Linux.Resources.Devices; len(d) != 1 || !d[0].Allow {
				t.Errorf("device rules %+v", d)
			}
		}},
		{"seccomp off", func(in *Input) { in.Seccomp = false }, func(t *testing.T, s *specs.Spec) {
			if s.Linux.Seccomp != nil {
				t.Error("seccomp set")
			}
		}},
		{"seccomp unconfined", func(in *Input) { in.HostConfig.SecurityOpt = []string{"seccomp=unconfined"} }, func(t *testing.T, s *specs.Spec) {
			if s.Linux.Seccomp != nil {
				t.Error("seccomp set")
			}
		}},
		{"no-new-privileges", func(in *Input) { in.HostConfig.SecurityOpt = []string{"no-new-privileges"} }, func(t *testing.T, s *specs.Spec) {
			if !s.Process.NoNewPrivileges {
				t.Error("NoNewPrivileges false")
			}
		}},
		{"host network", func(in *Input) { in.HostConfig.NetworkMode = "host" }, func(t *testing.T, s *specs.Spec) {
			if slices.Contains(nsTypes(s), specs.NetworkNamespace) {
				t.Errorf("namespaces %v", nsTypes(s))
			}
			if s.Hostname == testID[:12] {
				t.Error("host network should take the host's name")
			}
		}},
		{"netns path", func(in *Input) { in.NetNSPath = "/run/netns/x" }, func(t *testing.T, s *specs.Spec) {
			for _, n := range s.Linux.Namespaces {
				if n.Type == specs.NetworkNamespace && n.Path != "/run/netns/x" {
					t.Errorf("netns %+v", n)
				}
			}
		}},
		{"host ipc, pid, uts, cgroupns", func(in *Input) {
			in.HostConfig.IpcMode = "host"
			in.HostConfig.PidMode = "host"
			in.HostConfig.UTSMode = "host"
			in.HostConfig.CgroupnsMode = "host"
		}, func(t *testing.T, s *specs.Spec) {
			if got := nsTypes(s); !slices.Equal(got, []specs.LinuxNamespaceType{specs.NetworkNamespace, specs.MountNamespace}) {
				t.Errorf("namespaces %v", got)
			}
			if s.Hostname != "" {
				t.Errorf("hostname %q with host UTS", s.Hostname)
			}
			if m := findMount(s, "/dev/shm"); m == nil || m.Type != "bind" {
				t.Errorf("/dev/shm %+v", m)
			}
		}},
		{"ipc none has no shm", func(in *Input) { in.HostConfig.IpcMode = "none" }, func(t *testing.T, s *specs.Spec) {
			if findMount(s, "/dev/shm") != nil {
				t.Error("/dev/shm mounted")
			}
		}},
		{"resources", func(in *Input) {
			pids := int64(100)
			in.HostConfig.Memory = 64 << 20
			in.HostConfig.NanoCPUs = 1_500_000_000
			in.HostConfig.CPUShares = 512
			in.HostConfig.PidsLimit = &pids
			in.HostConfig.OomScoreAdj = 500
			in.HostConfig.CgroupParent = "/mytests"
		}, func(t *testing.T, s *specs.Spec) {
			r := s.Linux.Resources
			if *r.Memory.Limit != 64<<20 || *r.Memory.Swap != 128<<20 {
				t.Errorf("memory %+v", r.Memory)
			}
			if *r.CPU.Period != 100000 || *r.CPU.Quota != 150000 || *r.CPU.Shares != 512 {
				t.Errorf("cpu %+v", r.CPU)
			}
			if *r.Pids.Limit != 100 {
				t.Errorf("pids %+v", r.Pids)
			}
			if s.Process.OOMScoreAdj == nil || *s.Process.OOMScoreAdj != 500 {
				t.Errorf("oom %v", s.Process.OOMScoreAdj)
			}
			if s.Linux.CgroupsPath != "/mytests/"+testID {
				t.Errorf("cgroups path %q", s.Linux.CgroupsPath)
			}
		}},
		{"swap unlimited and pids unlimited", func(in *Input) {
			pids := int64(-1)
			in.HostConfig.Memory = 64 << 20
			in.HostConfig.MemorySwap = -1
			in.HostConfig.PidsLimit = &pids
		}, func(t *testing.T, s *specs.Spec) {
			if *s.Linux.Resources.Memory.Swap != -1 || s.Linux.Resources.Pids != nil {
				t.Errorf("resources %+v", s.Linux.Resources)
			}
		}},
		{"negative oom score is not applied", func(in *Input) { in.HostConfig.OomScoreAdj = -500 }, func(t *testing.T, s *specs.Spec) {
			if s.Process.OOMScoreAdj != nil {
				t.Error("negative oom_score_adj set")
			}
		}},
		{"cgroup parent from the daemon", func(in *Input) { in.CgroupParent = "/wharf-test-1" }, func(t *testing.T, s *specs.Spec) {
			if s.Linux.CgroupsPath != "/wharf-test-1/"+testID {
				t.Errorf("cgroups path %q", s.Linux.CgroupsPath)
			}
		}},
		{"readonly rootfs and network files", func(in *Input) {
			in.HostConfig.ReadonlyRootfs = true
			in.HostsPath, in.HostnamePath, in.ResolvConfPath = "/c/hosts", "/c/hostname", "/c/resolv.conf"
		}, func(t *testing.T, s *specs.Spec) {
			if !s.Root.Readonly {
				t.Error("root not read-only")
			}
			for dst, src := range map[string]string{"/etc/hosts": "/c/hosts", "/etc/hostname": "/c/hostname", "/etc/resolv.conf": "/c/resolv.conf"} {
				m := findMount(s, dst)
				if m == nil || m.Source != src || m.Type != "bind" || !slices.Contains(m.Options, "rbind") || !slices.Contains(m.Options, "ro") {
					t.Errorf("%s: %+v", dst, m)
				}
			}
		}},
		{"network files writable", func(in *Input) { in.HostsPath = "/c/hosts" }, func(t *testing.T, s *specs.Spec) {
			if m := findMount(s, "/etc/hosts"); m == nil || slices.Contains(m.Options, "ro") {
				t.Errorf("hosts %+v", m)
			}
			if findMount(s, "/etc/resolv.conf") != nil {
				t.Error("empty path mounted")
			}
		}},
		{"tmpfs, binds, ulimits, shm size", func(in *Input) {
			in.HostConfig.Tmpfs = map[string]string{"/run": "exec,size=10m", "/tmp/": ""}
			in.HostConfig.Binds = []string{"/srv/data:/data:ro", "/srv/data/x:/data/x"}
			in.HostConfig.Ulimits = []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 4096}}
			in.HostConfig.ShmSize = 1 << 20
		}, func(t *testing.T, s *specs.Spec) {
			if m := findMount(s, "/run"); m == nil || !slices.Equal(m.Options, []string{"nosuid", "nodev", "rprivate", "exec", "size=10m"}) {
				t.Errorf("/run %+v", m)
			}
			if m := findMount(s, "/tmp"); m == nil || !slices.Equal(m.Options, []string{"noexec", "nosuid", "nodev", "rprivate"}) {
				t.Errorf("/tmp %+v", m)
			}
			if m := findMount(s, "/data"); m == nil || m.Source != "/srv/data" || !slices.Equal(m.Options, []string{"rbind", "rprivate", "ro"}) {
				t.Errorf("/data %+v", m)
			}
			data, sub := slices.IndexFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/data" }),
				slices.IndexFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/data/x" })
			if data > sub {
				t.Error("child mount before its parent")
			}
			if m := findMount(s, "/dev/shm"); m == nil || m.Options[len(m.Options)-1] != "size=1048576" {
				t.Errorf("/dev/shm %+v", m)
			}
			if r := s.Process.Rlimits; len(r) != 1 || r[0] != (specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 4096}) {
				t.Errorf("rlimits %+v", r)
			}
		}},
		{"user mount replaces a default", func(in *Input) {
			in.HostConfig.Tmpfs = map[string]string{"/dev/shm": "size=1m"}
		}, func(t *testing.T, s *specs.Spec) {
			n := 0
			for _, m := range s.Mounts {
				if m.Destination == "/dev/shm" {
					n++
					if !slices.Contains(m.Options, "size=1m") {
						t.Errorf("/dev/shm %+v", m)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d /dev/shm mounts", n)
			}
		}},
		{"masked paths override", func(in *Input) {
			in.HostConfig.MaskedPaths = []string{}
			in.HostConfig.ReadonlyPaths = []string{"/proc/sys"}
		}, func(t *testing.T, s *specs.Spec) {
			if len(s.Linux.MaskedPaths) != 0 || !slices.Equal(s.Linux.ReadonlyPaths, []string{"/proc/sys"}) {
				t.Errorf("masked %v readonly %v", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := baseInput(t)
			tc.edit(&in)
			tc.check(t, mustSpec(t, in))
		})
	}
}

func TestSpecErrors(t *testing.T) {
	yes := true
	tests := []struct {
		name string
		edit func(in *Input)
		kind error
		msg  string
	}{
		{"no command", func(in *Input) { in.Config.Cmd = nil }, errdefs.ErrInvalid, "No command specified"},
		{"unknown user", func(in *Input) { in.Config.User = "ghost" }, errdefs.ErrInvalid, "unable to find user ghost: no matching entries in passwd file"},
		{"relative workdir", func(in *Input) { in.Config.WorkingDir = "srv" }, errdefs.ErrInvalid, "the working directory 'srv' is invalid, it needs to be an absolute path"},
		{"unknown cap", func(in *Input) { in.HostConfig.CapAdd = []string{"FLY"} }, errdefs.ErrInvalid, `unknown capability: "CAP_FLY"`},
		{"init without binary", func(in *Input) { in.HostConfig.Init = &yes }, errdefs.ErrInvalid, "--init: no init binary configured"},
		{"container network not running", func(in *Input) { in.HostConfig.NetworkMode = "container:db" }, errdefs.ErrInvalid, "cannot join the network of container db: it is not running"},
		{"named volume", func(in *Input) { in.HostConfig.Binds = []string{"data:/data"} }, errdefs.ErrNotImplemented, "named volumes are not supported yet: data"},
		{"bind onto root", func(in *Input) { in.HostConfig.Binds = []string{"/srv:/"} }, errdefs.ErrInvalid, "invalid specification: destination can't be '/'"},
		{"duplicate mount", func(in *Input) {
			in.HostConfig.Binds = []string{"/a:/x"}
			in.HostConfig.Tmpfs = map[string]string{"/x": ""}
		}, errdefs.ErrInvalid, "Duplicate mount point: /x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := baseInput(t)
			tc.edit(&in)
			_, err := Spec(in)
			if !errors.Is(err, tc.kind) || err.Error() != tc.msg {
				t.Fatalf("err = %v, want %q (%v)", err, tc.msg, tc.kind)
			}
		})
	}
}

func TestSpecSeccompFollowsCapabilities(t *testing.T) {
	withBounding(t, hostBoundingWithoutResource())
	has := func(s *specs.Spec, name string) bool {
		for _, sc := range s.Linux.Seccomp.Syscalls {
			if sc.Action == specs.ActAllow && slices.Contains(sc.Names, name) {
				return true
			}
		}
		return false
	}
	in := baseInput(t)
	if has(mustSpec(t, in), "mount") || !has(mustSpec(t, in), "read") {
		t.Fatal("default profile should allow read(2) and not mount(2)")
	}
	in.HostConfig.CapAdd = []string{"SYS_ADMIN"}
	if !has(mustSpec(t, in), "mount") {
		t.Error("CAP_SYS_ADMIN should allow mount(2) in the profile")
	}
}

func TestCgroupNamespaceDefault(t *testing.T) {
	defer func(f func() bool) { cgroupV2 = f }(cgroupV2)
	for _, tc := range []struct {
		v2   bool
		mode container.CgroupnsMode
		want bool
	}{
		{false, "", false}, {true, "", true}, {false, "private", true}, {true, "host", false},
	} {
		cgroupV2 = func() bool { return tc.v2 }
		in := baseInput(t)
		in.HostConfig.CgroupnsMode = tc.mode
		s, err := Spec(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(nsTypes(s), specs.CgroupNamespace); got != tc.want {
			t.Errorf("v2=%v mode=%q: cgroup namespace %v, want %v", tc.v2, tc.mode, got, tc.want)
		}
	}
}

func TestSpecNetworkSysctls(t *testing.T) {
	for mode, want := range map[string]bool{"bridge": true, "none": true, "mynet": true, "host": false, "container:abc": false} {
		hc := &container.HostConfig{NetworkMode: container.NetworkMode(mode), Sysctls: map[string]string{"net.ipv4.ping_group_range": "1 1"}}
		got := sysctls(hc)
		if _, has := got["net.ipv4.ip_unprivileged_port_start"]; has != want {
			t.Errorf("%s: ip_unprivileged_port_start set %v, want %v", mode, has, want)
		}
		if got["net.ipv4.ping_group_range"] != "1 1" {
			t.Errorf("%s: the user's sysctl lost: %v", mode, got)
		}
	}
}
