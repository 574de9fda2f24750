// Package oci turns a Docker container configuration into an OCI runtime
// spec with Docker's defaults (namespaces, mounts, capabilities, seccomp,
// masked paths, devices, user lookup). It is pure: it reads the image's
// /etc/passwd and /etc/group but changes nothing on the host.
//
// CONTRACT: the container service codes against the signatures in this file.
package oci

import (
	"syscall"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// InitPathInContainer is where HostConfig.Init's binary is bind-mounted.
const InitPathInContainer = "/sbin/wharf-init"

// Input to Spec. Config is already merged with the image config (see MergeImageConfig).
type Input struct {
	ID         string // 64-hex container ID; hostname defaults to ID[:12]
	Config     *container.Config
	HostConfig *container.HostConfig
	RootPath   string   // absolute rootfs mountpoint (Spec.Root.Path)
	RootfsDirs []string // container dirs top (upper) first, down to the base layer: /etc/passwd, /etc/group are read from them
	// Files bind-mounted at /etc/hosts, /etc/hostname, /etc/resolv.conf ("" = skip).
	HostsPath, HostnamePath, ResolvConfPath string
	InitPath                                string // static binary bind-mounted read-only at /sbin/wharf-init when HostConfig.Init is true
	CgroupParent                            string // Linux.CgroupsPath = CgroupParent + "/" + ID
	Seccomp                                 bool   // apply Docker's default seccomp profile
	ImageArch                               string // image config "architecture" ("386" keeps the x86 seccomp arch)
	NetNSPath                               string // "" = new network namespace; host mode = no netns entry
}

// Spec builds the OCI runtime spec of a container.
func Spec(in Input) (*specs.Spec, error) { return buildSpec(in) }

// MergeImageConfig fills unset fields of cfg from the image config like
// Docker does at create.
func MergeImageConfig(cfg *container.Config, img *dockerspec.DockerOCIImageConfig) {
	mergeImageConfig(cfg, img)
}

// ValidateHostConfig rejects invalid values before anything is created; its
// errors are errdefs.Invalid.
func ValidateHostConfig(hc *container.HostConfig) error { return validateHostConfig(hc) }

// ExecProcess builds the process of an exec in a running container.
func ExecProcess(in Input, req container.ExecCreateRequest) (*specs.Process, error) {
	return execProcess(in, req)
}

// ResolveUser resolves "name", "uid", "name:group", "uid:gid" from the
// image's /etc/passwd and /etc/group, looked up through dirs (top first,
// overlay whiteouts honoured), with supplementary groups.
func ResolveUser(dirs []string, user string) (specs.User, error) { return resolveUser(dirs, user) }

// ParseSignal accepts "SIGTERM", "TERM" or "15".
func ParseSignal(s string) (syscall.Signal, error) { return parseSignal(s) }
