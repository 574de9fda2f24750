package oci

import (
	"runtime"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errdefs"
)

// minMemory is Docker's lower bound for a memory limit.
const minMemory = 6 * 1024 * 1024

func validateHostConfig(hc *container.HostConfig) error {
	if hc == nil {
		return nil
	}
	ncpu := int64(runtime.NumCPU())
	if hc.NanoCPUs < 0 || hc.NanoCPUs > ncpu*1e9 {
		return errdefs.Invalid("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", ncpu, ncpu)
	}
	if hc.NanoCPUs > 0 && (hc.CPUPeriod > 0 || hc.CPUQuota > 0) {
		return errdefs.Invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	}
	if hc.CPUShares < 0 {
		return errdefs.Invalid("invalid CPU shares (%d): value must not be negative", hc.CPUShares)
	}
	if hc.CPUQuota < 0 && hc.CPUQuota != -1 || hc.CPUPeriod < 0 {
		return errdefs.Invalid("invalid CPU quota or period: must not be negative")
	}
	if hc.Memory != 0 && hc.Memory < minMemory {
		return errdefs.Invalid("Minimum memory limit allowed is 6MB")
	}
	if hc.MemorySwap > 0 && hc.Memory == 0 {
		return errdefs.Invalid("You should always set the Memory limit when using Memoryswap limit, see usage")
	}
	if hc.Memory > 0 && hc.MemorySwap > 0 && hc.MemorySwap < hc.Memory {
		return errdefs.Invalid("Minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if hc.MemorySwap < -1 || hc.MemoryReservation < 0 {
		return errdefs.Invalid("invalid memory swap or reservation: must not be negative")
	}
	if hc.MemorySwappiness != nil && (*hc.MemorySwappiness < -1 || *hc.MemorySwappiness > 100) {
		return errdefs.Invalid("Invalid value: %d, valid memory swappiness range is 0-100", *hc.MemorySwappiness)
	}
	// Docker documents 0 and -1 as "unlimited"; anything lower is a typo.
	if hc.PidsLimit != nil && *hc.PidsLimit < -1 {
		return errdefs.Invalid("invalid PIDs limit: %d (use 0 or -1 for unlimited)", *hc.PidsLimit)
	}
	if hc.ShmSize < 0 {
		return errdefs.Invalid("SHM size can not be less than 0")
	}
	if hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000 {
		return errdefs.Invalid("Invalid value %d, range for oom score adj is [-1000, 1000]", hc.OomScoreAdj)
	}
	if err := validateModes(hc); err != nil {
		return err
	}
	if _, err := capabilities(hc.CapAdd, hc.CapDrop, false); err != nil {
		return err
	}
	if _, err := userMounts(hc); err != nil {
		return err
	}
	for _, u := range hc.Ulimits {
		if _, ok := rlimitName(u.Name); !ok {
			return errdefs.Invalid("invalid ulimit type: %s", u.Name)
		}
		if u.Soft > u.Hard {
			return errdefs.Invalid("ulimit soft limit must be less than or equal to hard limit: %d > %d", u.Soft, u.Hard)
		}
	}
	return nil
}

// validateModes checks the namespace modes; any other network mode names a
// user-defined network, which the network service resolves at start.
func validateModes(hc *container.HostConfig) error {
	switch nm := string(hc.NetworkMode); {
	case nm == "", nm == "default", nm == "bridge", nm == "none", nm == "host":
	case strings.HasPrefix(nm, "container:"):
		if strings.TrimPrefix(nm, "container:") == "" {
			return errdefs.Invalid("invalid network mode: %s: a container name or ID is required", nm)
		}
	}
	if !hc.IpcMode.Valid() {
		return errdefs.Invalid("invalid IPC mode: %v", hc.IpcMode)
	}
	if !hc.PidMode.Valid() {
		return errdefs.Invalid("invalid PID mode: %v", hc.PidMode)
	}
	if !hc.UTSMode.Valid() {
		return errdefs.Invalid("invalid UTS mode: %v", hc.UTSMode)
	}
	if hc.IpcMode.IsContainer() || hc.PidMode.IsContainer() {
		return errdefs.NotImplemented("sharing another container's IPC or PID namespace is not supported yet")
	}
	if !hc.CgroupnsMode.Valid() {
		return errdefs.Invalid("invalid cgroup namespace mode: %v", hc.CgroupnsMode)
	}
	return nil
}
