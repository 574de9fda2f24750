package oci

import (
	"os"
	"strings"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const cpuPeriod = 100000 // µs, the CFS default Docker uses for --cpus

// swapLimitSupported reports whether the host can limit memory+swap; when
// it cannot, Docker leaves swap unlimited instead of failing. A variable
// for tests.
var swapLimitSupported = func() bool {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return true // cgroup v2: memory.swap.max
	}
	_, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
	return err == nil
}

// cgroupV2 reports a unified cgroup hierarchy at /sys/fs/cgroup. A variable for tests.
var cgroupV2 = func() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

func ptr[T any](v T) *T { return &v }

// resources maps Docker's resource settings to the OCI ones.
func resources(hc *container.HostConfig) *specs.LinuxResources {
	r := &specs.LinuxResources{Devices: deviceRules(hc.Privileged)}
	mem := &specs.LinuxMemory{}
	if hc.Memory > 0 {
		mem.Limit = ptr(hc.Memory)
		swap := hc.MemorySwap
		if swap == 0 {
			swap = 2 * hc.Memory // Docker's default: as much swap as memory
		}
		if swapLimitSupported() {
			mem.Swap = ptr(swap)
		}
	}
	if hc.MemoryReservation > 0 {
		mem.Reservation = ptr(hc.MemoryReservation)
	}
	if s := hc.MemorySwappiness; s != nil && *s >= 0 {
		mem.Swappiness = ptr(uint64(*s))
	}
	if hc.OomKillDisable != nil && *hc.OomKillDisable {
		mem.DisableOOMKiller = ptr(true)
	}
	if *mem != (specs.LinuxMemory{}) {
		r.Memory = mem
	}

	cpu := &specs.LinuxCPU{Cpus: hc.CpusetCpus, Mems: hc.CpusetMems}
	if hc.CPUShares > 0 {
		cpu.Shares = ptr(uint64(hc.CPUShares))
	}
	switch {
	case hc.NanoCPUs > 0:
		cpu.Period = ptr(uint64(cpuPeriod))
		cpu.Quota = ptr(hc.NanoCPUs * cpuPeriod / 1e9)
	default:
		if hc.CPUPeriod > 0 {
			cpu.Period = ptr(uint64(hc.CPUPeriod))
		}
		if hc.CPUQuota != 0 {
			cpu.Quota = ptr(hc.CPUQuota)
		}
	}
	if *cpu != (specs.LinuxCPU{}) {
		r.CPU = cpu
	}
	if hc.PidsLimit != nil && *hc.PidsLimit > 0 {
		r.Pids = &specs.LinuxPids{Limit: ptr(*hc.PidsLimit)}
	}
	if hc.BlkioWeight > 0 {
		r.BlockIO = &specs.LinuxBlockIO{Weight: ptr(hc.BlkioWeight)}
	}
	return r
}

// devRule is one device cgroup entry; major or minor -1 is a wildcard.
func devRule(allow bool, typ string, major, minor int64) specs.LinuxDeviceCgroup {
	d := specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Access: "rwm"}
	if major >= 0 {
		d.Major = ptr(major)
	}
	if minor >= 0 {
		d.Minor = ptr(minor)
	}
	return d
}

// deviceRules is Docker's device cgroup: deny everything, then allow the
// standard nodes, ptys and mknod (which runc would add anyway, listed here
// so the spec stands on its own). Privileged containers may use any device.
func deviceRules(privileged bool) []specs.LinuxDeviceCgroup {
	if privileged {
		return []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	}
	mknodC := devRule(true, "c", -1, -1)
	mknodC.Access = "m"
	mknodB := devRule(true, "b", -1, -1)
	mknodB.Access = "m"
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		// Docker denies fuse explicitly; it must come before the mknod
		// wildcards, cgroup v1 cannot punch a hole in a wildcard rule.
		devRule(false, "c", 10, 229),
		mknodC, mknodB,
		devRule(true, "c", 1, 3),    // null
		devRule(true, "c", 1, 5),    // zero
		devRule(true, "c", 1, 7),    // full
		devRule(true, "c", 1, 8),    // random
		devRule(true, "c", 1, 9),    // urandom
		devRule(true, "c", 5, 0),    // tty
		devRule(true, "c", 5, 1),    // console
		devRule(true, "c", 5, 2),    // ptmx
		devRule(true, "c", 136, -1), // pts
	}
}

// defaultDevices are the nodes created in the container's /dev. /dev/ptmx
// (a link to pts/ptmx) and /dev/console (the pty, with -t) are the
// runtime's part.
func defaultDevices() []specs.LinuxDevice {
	mode := ptr(os.FileMode(0o666))
	dev := func(p string, major, minor int64) specs.LinuxDevice {
		return specs.LinuxDevice{Path: p, Type: "c", Major: major, Minor: minor, FileMode: mode, UID: ptr(uint32(0)), GID: ptr(uint32(0))}
	}
	return []specs.LinuxDevice{
		dev("/dev/null", 1, 3), dev("/dev/zero", 1, 5), dev("/dev/full", 1, 7),
		dev("/dev/random", 1, 8), dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0),
	}
}

var rlimits = map[string]int{
	"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU,
	"data": unix.RLIMIT_DATA, "fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS,
	"memlock": unix.RLIMIT_MEMLOCK, "msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE,
	"nofile": unix.RLIMIT_NOFILE, "nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS,
	"rtprio": unix.RLIMIT_RTPRIO, "rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING,
	"stack": unix.RLIMIT_STACK,
}

func rlimitName(name string) (string, bool) {
	_, ok := rlimits[strings.ToLower(name)]
	return "RLIMIT_" + strings.ToUpper(name), ok
}

// processRlimits sets only what --ulimit asks for: like Docker, other
// limits are inherited (here: from the supervisor). Raising a hard limit
// needs CAP_SYS_RESOURCE, which root lacks on some hosts, so no default
// such as nofile=1048576 is forced.
func processRlimits(hc *container.HostConfig) []specs.POSIXRlimit {
	var out []specs.POSIXRlimit
	for _, u := range hc.Ulimits {
		if name, ok := rlimitName(u.Name); ok {
			out = append(out, specs.POSIXRlimit{Type: name, Soft: uint64(u.Soft), Hard: uint64(u.Hard)})
		}
	}
	return out
}
