package oci

import (
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errdefs"
)

// DefaultPath is Docker's PATH when the image sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

var defaultMaskedPaths = []string{
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
	"/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
}

var defaultReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

// maskedPaths adds the per-CPU thermal_throttle directories that leak host
// activity (Docker masks them too).
func maskedPaths() []string {
	out := slices.Clone(defaultMaskedPaths)
	cpus, _ := filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*/thermal_throttle")
	return append(out, cpus...)
}

func buildSpec(in Input) (*specs.Spec, error) {
	if in.Config == nil || in.HostConfig == nil {
		return nil, errdefs.Invalid("container config and host config are required")
	}
	if len(in.ID) < 12 {
		return nil, errdefs.Invalid("invalid container ID %q", in.ID)
	}
	cfg, hc := in.Config, in.HostConfig
	if err := validateModes(hc); err != nil {
		return nil, err
	}
	args := commandArgs(cfg)
	if len(args) == 0 {
		return nil, errdefs.Invalid("No command specified")
	}
	if hc.Init != nil && *hc.Init {
		args = append([]string{InitPathInContainer, "--"}, args...)
	}
	proc, err := process(in, args, cfg.User, cfg.WorkingDir, cfg.Tty, nil, hc.Privileged)
	if err != nil {
		return nil, err
	}
	if cfg.Tty && hc.ConsoleSize[0] > 0 && hc.ConsoleSize[1] > 0 {
		proc.ConsoleSize = &specs.Box{Height: hc.ConsoleSize[0], Width: hc.ConsoleSize[1]}
	}
	if hc.OomScoreAdj > 0 { // a negative value needs CAP_SYS_RESOURCE
		proc.OOMScoreAdj = ptr(hc.OomScoreAdj)
	}
	mounts, err := containerMounts(in)
	if err != nil {
		return nil, err
	}
	ns, err := namespaces(in)
	if err != nil {
		return nil, err
	}
	s := &specs.Spec{
		Version:  specs.Version,
		Process:  proc,
		Root:     &specs.Root{Path: in.RootPath, Readonly: hc.ReadonlyRootfs},
		Hostname: hostname(in),
		Mounts:   mounts,
		Linux: &specs.Linux{
			Namespaces:  ns,
			Devices:     defaultDevices(),
			Resources:   resources(hc),
			CgroupsPath: cgroupsPath(in),
			Sysctl:      sysctls(hc),
		},
	}
	if !hc.UTSMode.IsHost() {
		s.Domainname = cfg.Domainname
	} else {
		s.Hostname = ""
	}
	if !hc.Privileged {
		s.Linux.MaskedPaths = maskedPaths()
		s.Linux.ReadonlyPaths = slices.Clone(defaultReadonlyPaths)
		if hc.MaskedPaths != nil {
			s.Linux.MaskedPaths = slices.Clone(hc.MaskedPaths)
		}
		if hc.ReadonlyPaths != nil {
			s.Linux.ReadonlyPaths = slices.Clone(hc.ReadonlyPaths)
		}
	}
	if in.Seccomp && !hc.Privileged && !securityOpt(hc, "seccomp", "unconfined") {
		// The profile allows more syscalls as the capabilities grow.
		if s.Linux.Seccomp, err = seccomp.GetDefaultProfile(s); err != nil {
			return nil, err
		}
		seccompArchitectures(s.Linux.Seccomp, in.ImageArch)
	}
	return s, nil
}

// commandArgs is Entrypoint + Cmd; an entrypoint of [""] means "none".
func commandArgs(cfg *container.Config) []string {
	ep := cfg.Entrypoint
	if len(ep) == 1 && ep[0] == "" {
		ep = nil
	}
	return append(slices.Clone(ep), cfg.Cmd...)
}

// process builds the container's or an exec's process: user, environment,
// working directory and capabilities.
func process(in Input, args []string, user, cwd string, tty bool, extraEnv []string, privileged bool) (*specs.Process, error) {
	hc := in.HostConfig
	if cwd == "" {
		cwd = "/"
	}
	if !path.IsAbs(cwd) {
		return nil, errdefs.Invalid("the working directory '%s' is invalid, it needs to be an absolute path", cwd)
	}
	u, err := lookupUser(in.RootfsDirs, user, hc.GroupAdd)
	if err != nil {
		return nil, err
	}
	if hc.Umask != nil {
		u.Umask = ptr(*hc.Umask)
	}
	caps, err := capabilities(hc.CapAdd, hc.CapDrop, privileged)
	if err != nil {
		return nil, err
	}
	env := []string{"PATH=" + DefaultPath, "HOSTNAME=" + hostname(in)}
	if tty {
		env = append(env, "TERM=xterm")
	}
	env = replaceOrAppendEnv(env, in.Config.Env)
	env = replaceOrAppendEnv(env, extraEnv)
	if !slices.ContainsFunc(env, func(e string) bool { return envKey(e) == "HOME" }) {
		env = append(env, "HOME="+u.home)
	}
	return &specs.Process{
		Terminal: tty,
		User:     u.User,
		Args:     args,
		Env:      env,
		Cwd:      path.Clean(cwd),
		Capabilities: &specs.LinuxCapabilities{
			Bounding:  caps,
			Effective: slices.Clone(caps),
			Permitted: slices.Clone(caps),
		},
		Rlimits:         processRlimits(hc),
		NoNewPrivileges: securityOpt(hc, "no-new-privileges", "true") || securityOpt(hc, "no-new-privileges", ""),
	}, nil
}

// replaceOrAppendEnv applies overrides like Docker: KEY=V replaces or
// appends, a bare KEY removes the variable.
func replaceOrAppendEnv(env, overrides []string) []string {
	for _, o := range overrides {
		k := envKey(o)
		i := slices.IndexFunc(env, func(e string) bool { return envKey(e) == k })
		switch {
		case !strings.Contains(o, "="):
			if i >= 0 {
				env = slices.Delete(env, i, i+1)
			}
		case i >= 0:
			env[i] = o
		default:
			env = append(env, o)
		}
	}
	return env
}

// securityOpt reports whether --security-opt holds key=value (or key:value;
// value "" matches the bare key).
func securityOpt(hc *container.HostConfig, key, value string) bool {
	for _, o := range hc.SecurityOpt {
		k, v, _ := strings.Cut(strings.Replace(o, ":", "=", 1), "=")
		if k == key && v == value {
			return true
		}
	}
	return false
}

func hostname(in Input) string {
	if in.Config.Hostname != "" {
		return in.Config.Hostname
	}
	if in.HostConfig.NetworkMode.IsHost() {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	return in.ID[:12]
}

func cgroupsPath(in Input) string {
	parent := in.HostConfig.CgroupParent
	if parent == "" {
		parent = in.CgroupParent
	}
	if parent == "" {
		parent = "/wharf"
	}
	return strings.TrimSuffix(parent, "/") + "/" + in.ID
}

// namespaces are Docker's: new pid, mount, uts, ipc and network namespaces
// unless the host's are asked for, and a cgroup namespace when asked for or,
// by default, on cgroup v2 only (Docker's default is "host" on v1; a cgroup
// namespace there also costs about 6 ms a start).
func namespaces(in Input) ([]specs.LinuxNamespace, error) {
	hc := in.HostConfig
	var ns []specs.LinuxNamespace
	if !hc.PidMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.PIDNamespace})
	}
	switch nm := hc.NetworkMode; {
	case nm.IsHost():
	case nm.IsContainer() && in.NetNSPath == "":
		return nil, errdefs.Invalid("cannot join the network of container %s: it is not running", nm.ConnectedContainer())
	default:
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: in.NetNSPath})
	}
	if !hc.IpcMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.IPCNamespace})
	}
	if !hc.UTSMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UTSNamespace})
	}
	ns = append(ns, specs.LinuxNamespace{Type: specs.MountNamespace})
	if hc.CgroupnsMode.IsPrivate() || hc.CgroupnsMode.IsEmpty() && cgroupV2() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	return ns, nil
}

// sysctls are the user's plus, in a network namespace of the container's
// own, dockerd's defaults that let a non-root process bind ports below 1024
// and ping (harmless there: the namespace is the container's alone).
func sysctls(hc *container.HostConfig) map[string]string {
	if hc.NetworkMode.IsHost() || hc.NetworkMode.IsContainer() {
		return hc.Sysctls
	}
	out := map[string]string{
		"net.ipv4.ip_unprivileged_port_start": "0",
		"net.ipv4.ping_group_range":           "0 2147483647",
	}
	maps.Copy(out, hc.Sysctls)
	return out
}
