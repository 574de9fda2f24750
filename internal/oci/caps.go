package oci

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/wharf/wharf/internal/errdefs"
)

// defaultCaps is Docker's default capability set, in Docker's order.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// capNames lists the kernel's capabilities by bit number.
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// boundingSet returns the capabilities the daemon itself may grant: a
// container cannot get more, and on hosts where root lacks some (e.g.
// CAP_SYS_RESOURCE) asking for "all" must not fail. A variable for tests.
var boundingSet = func() []string {
	mask, ok := readCapBnd()
	if !ok {
		return slices.Clone(capNames)
	}
	var out []string
	for i, name := range capNames {
		if mask&(1<<uint(i)) != 0 {
			out = append(out, name)
		}
	}
	return out
}

func readCapBnd() (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapBnd:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return mask, err == nil
		}
	}
	return 0, false
}

// normalizeCaps upper-cases names, adds the CAP_ prefix and reports "ALL".
func normalizeCaps(in []string) (caps []string, all bool, err error) {
	for _, c := range in {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "ALL" {
			all = true
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if !slices.Contains(capNames, c) {
			return nil, false, errdefs.Invalid("unknown capability: %q", c)
		}
		if !slices.Contains(caps, c) {
			caps = append(caps, c)
		}
	}
	return caps, all, nil
}

// capabilities applies CapAdd/CapDrop to Docker's defaults the way Docker
// does: privileged or "ALL" added means the whole bounding set, "ALL"
// dropped keeps only what is added. Capabilities outside the daemon's own
// bounding set are left out rather than failing the start.
func capabilities(add, drop []string, privileged bool) ([]string, error) {
	bounding := boundingSet()
	if privileged {
		return bounding, nil
	}
	adds, addAll, err := normalizeCaps(add)
	if err != nil {
		return nil, err
	}
	drops, dropAll, err := normalizeCaps(drop)
	if err != nil {
		return nil, err
	}
	var caps []string
	switch {
	case addAll:
		for _, c := range bounding {
			if !slices.Contains(drops, c) {
				caps = append(caps, c)
			}
		}
		return caps, nil
	case dropAll:
		caps = adds
	default:
		for _, c := range defaultCaps {
			if !slices.Contains(drops, c) {
				caps = append(caps, c)
			}
		}
		for _, c := range adds {
			if !slices.Contains(caps, c) {
				caps = append(caps, c)
			}
		}
	}
	return slices.DeleteFunc(caps, func(c string) bool { return !slices.Contains(bounding, c) }), nil
}
