package oci

import (
	"syscall"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errdefs"
)

func buildSpec(in Input) (*specs.Spec, error)                                      { return nil, errdefs.NotImplemented("oci: not yet") }
func mergeImageConfig(cfg *container.Config, img *dockerspec.DockerOCIImageConfig) {}
func validateHostConfig(hc *container.HostConfig) error                            { return nil }
func execProcess(in Input, req container.ExecCreateRequest) (*specs.Process, error) {
	return nil, errdefs.NotImplemented("oci: not yet")
}
func resolveUser(dirs []string, user string) (specs.User, error) { return specs.User{}, nil }
func parseSignal(s string) (syscall.Signal, error)               { return syscall.SIGTERM, nil }
