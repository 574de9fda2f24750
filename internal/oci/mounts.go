package oci

import (
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errdefs"
)

// defaultShmSize is Docker's /dev/shm size: 64 MiB.
const defaultShmSize = 64 << 20

// defaultMounts are Docker's kernel filesystems for every container.
func defaultMounts(shmSize int64) []specs.Mount {
	if shmSize <= 0 {
		shmSize = defaultShmSize
	}
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=" + strconv.FormatInt(shmSize, 10)}},
	}
}

// containerMounts merges Docker's defaults with the container's own mounts:
// a user mount replaces a default at the same place (a user /dev replaces
// everything under /dev), and user mounts are ordered parents first.
func containerMounts(in Input) ([]specs.Mount, error) {
	hc := in.HostConfig
	user, err := userMounts(hc)
	if err != nil {
		return nil, err
	}
	ro := hc.ReadonlyRootfs
	for _, f := range []struct{ src, dst string }{
		{in.HostsPath, "/etc/hosts"}, {in.HostnamePath, "/etc/hostname"}, {in.ResolvConfPath, "/etc/resolv.conf"},
	} {
		if f.src != "" && !hasDest(user, f.dst) {
			user = append(user, bindMount(f.src, f.dst, ro, "rbind", "rprivate"))
		}
	}
	if hc.Init != nil && *hc.Init {
		if in.InitPath == "" {
			return nil, errdefs.Invalid("--init: no init binary configured")
		}
		user = append(user, specs.Mount{Destination: InitPathInContainer, Type: "bind", Source: in.InitPath, Options: []string{"bind", "ro"}})
	}
	if hc.IpcMode.IsHost() && !hasDest(user, "/dev/shm") {
		user = append(user, bindMount("/dev/shm", "/dev/shm", false, "rbind", "rprivate"))
	}
	slices.SortStableFunc(user, func(a, b specs.Mount) int {
		return strings.Count(a.Destination, "/") - strings.Count(b.Destination, "/")
	})

	var out []specs.Mount
	userDev := hasDest(user, "/dev")
	for _, m := range defaultMounts(hc.ShmSize) {
		switch {
		case hasDest(user, m.Destination):
		case userDev && strings.HasPrefix(m.Destination, "/dev/"):
		case m.Destination == "/dev/shm" && (hc.IpcMode.IsNone() || hc.IpcMode.IsHost()):
		default:
			if hc.Privileged && (m.Destination == "/sys" || m.Destination == "/sys/fs/cgroup") {
				m.Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
			}
			out = append(out, m)
		}
	}
	return append(out, user...), nil
}

func hasDest(ms []specs.Mount, dst string) bool {
	return slices.ContainsFunc(ms, func(m specs.Mount) bool { return m.Destination == dst })
}

func bindMount(src, dst string, ro bool, opts ...string) specs.Mount {
	if ro {
		opts = append(opts, "ro")
	}
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opts}
}

// userMounts turns Binds, Mounts and Tmpfs into spec mounts. Only host
// paths are supported here; named and anonymous volumes belong to the
// volume service.
func userMounts(hc *container.HostConfig) ([]specs.Mount, error) {
	var out []specs.Mount
	add := func(m specs.Mount) error {
		if hasDest(out, m.Destination) {
			return errdefs.Invalid("Duplicate mount point: %s", m.Destination)
		}
		out = append(out, m)
		return nil
	}
	for _, b := range hc.Binds {
		m, err := parseBind(b)
		if err != nil {
			return nil, err
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for _, mm := range hc.Mounts {
		m, err := apiMount(mm)
		if err != nil {
			return nil, err
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	dsts := slices.Sorted(func(yield func(string) bool) {
		for d := range hc.Tmpfs {
			if !yield(d) {
				return
			}
		}
	})
	for _, dst := range dsts {
		clean, err := cleanDest(dst)
		if err != nil {
			return nil, err
		}
		opts := []string{"noexec", "nosuid", "nodev", "rprivate"}
		if data := hc.Tmpfs[dst]; data != "" {
			opts = append(opts, strings.Split(data, ",")...)
		}
		if err := add(specs.Mount{Destination: clean, Type: "tmpfs", Source: "tmpfs", Options: mergeTmpfsOptions(opts)}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cleanDest checks a mount destination: absolute, and not the root itself.
func cleanDest(dst string) (string, error) {
	if !path.IsAbs(dst) {
		return "", errdefs.Invalid("invalid mount config: mount path must be absolute: %q", dst)
	}
	clean := path.Clean(dst)
	if clean == "/" {
		return "", errdefs.Invalid("invalid specification: destination can't be '/'")
	}
	return clean, nil
}

var propagations = []string{"private", "rprivate", "shared", "rshared", "slave", "rslave"}

// parseBind parses "src:dst[:opts]" with an absolute host source.
func parseBind(spec string) (specs.Mount, error) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		if len(parts) == 1 && path.IsAbs(spec) {
			return specs.Mount{}, errdefs.NotImplemented("anonymous volumes are not supported yet: %s", spec)
		}
		return specs.Mount{}, errdefs.Invalid("invalid volume specification: '%s'", spec)
	}
	if !path.IsAbs(parts[0]) {
		return specs.Mount{}, errdefs.NotImplemented("named volumes are not supported yet: %s", parts[0])
	}
	dst, err := cleanDest(parts[1])
	if err != nil {
		return specs.Mount{}, err
	}
	ro, prop := false, "rprivate"
	if len(parts) == 3 {
		for o := range strings.SplitSeq(parts[2], ",") {
			switch {
			case o == "ro":
				ro = true
			case o == "rw", o == "z", o == "Z", o == "nocopy", o == "":
			case slices.Contains(propagations, o):
				prop = o
			default:
				return specs.Mount{}, errdefs.Invalid("invalid mode: %s", o)
			}
		}
	}
	return bindMount(path.Clean(parts[0]), dst, ro, "rbind", prop), nil
}

// apiMount converts a --mount entry of type bind or tmpfs.
func apiMount(m mount.Mount) (specs.Mount, error) {
	dst, err := cleanDest(m.Target)
	if err != nil {
		return specs.Mount{}, err
	}
	switch m.Type {
	case mount.TypeBind:
		if !path.IsAbs(m.Source) {
			return specs.Mount{}, errdefs.Invalid("invalid mount config for type \"bind\": invalid mount path: '%s' mount path must be absolute", m.Source)
		}
		kind, prop := "rbind", "rprivate"
		if o := m.BindOptions; o != nil {
			if o.NonRecursive {
				kind = "bind"
			}
			if o.Propagation != "" {
				prop = string(o.Propagation)
			}
		}
		return bindMount(path.Clean(m.Source), dst, m.ReadOnly, kind, prop), nil
	case mount.TypeTmpfs:
		opts := []string{"noexec", "nosuid", "nodev", "rprivate"}
		if o := m.TmpfsOptions; o != nil {
			if o.SizeBytes > 0 {
				opts = append(opts, "size="+strconv.FormatInt(o.SizeBytes, 10))
			}
			if o.Mode != 0 {
				opts = append(opts, "mode="+strconv.FormatUint(uint64(o.Mode.Perm()), 8))
			}
		}
		if m.ReadOnly {
			opts = append(opts, "ro")
		}
		return specs.Mount{Destination: dst, Type: "tmpfs", Source: "tmpfs", Options: mergeTmpfsOptions(opts)}, nil
	default:
		return specs.Mount{}, errdefs.NotImplemented("mount type %q is not supported yet", m.Type)
	}
}

// tmpfsFlagPairs are options that cancel each other: the later one wins.
var tmpfsFlagPairs = map[string]string{
	"exec": "noexec", "noexec": "exec", "suid": "nosuid", "nosuid": "suid",
	"dev": "nodev", "nodev": "dev", "ro": "rw", "rw": "ro",
	"atime": "noatime", "noatime": "atime", "strictatime": "nostrictatime", "nostrictatime": "strictatime",
}

// mergeTmpfsOptions keeps the last of conflicting flags and of key=value
// options, in first-seen order.
func mergeTmpfsOptions(opts []string) []string {
	var out []string
	for _, o := range opts {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if k, _, ok := strings.Cut(o, "="); ok {
			out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, k+"=") })
		} else if opp, ok := tmpfsFlagPairs[o]; ok {
			out = slices.DeleteFunc(out, func(e string) bool { return e == opp || e == o })
		} else if slices.Contains(propagations, o) {
			out = slices.DeleteFunc(out, func(e string) bool { return slices.Contains(propagations, e) })
		}
		out = append(out, o)
	}
	return out
}
