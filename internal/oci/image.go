package oci

import (
	"maps"
	"slices"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func mergeImageConfig(cfg *container.Config, img *dockerspec.DockerOCIImageConfig) {
	if cfg == nil || img == nil {
		return
	}
	if cfg.User == "" {
		cfg.User = img.User
	}
	for p := range img.ExposedPorts {
		port, err := network.ParsePort(p)
		if err != nil {
			continue // an image port we cannot parse is not worth failing the create
		}
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = network.PortSet{}
		}
		cfg.ExposedPorts[port] = struct{}{}
	}
	cfg.Env = mergeEnvByKey(cfg.Env, img.Env)
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	for k, v := range img.Labels {
		if _, ok := cfg.Labels[k]; !ok {
			cfg.Labels[k] = v
		}
	}
	// An explicit entrypoint, even [""], drops the image's Cmd; a nil one
	// (not given) inherits both.
	if len(cfg.Entrypoint) == 0 {
		if len(cfg.Cmd) == 0 {
			cfg.Cmd = slices.Clone(img.Cmd)
			cfg.ArgsEscaped = img.ArgsEscaped
		}
		if cfg.Entrypoint == nil {
			cfg.Entrypoint = slices.Clone(img.Entrypoint)
		}
	}
	mergeHealthcheck(cfg, img.Healthcheck)
	if cfg.WorkingDir == "" {
		cfg.WorkingDir = img.WorkingDir
	}
	if len(img.Volumes) > 0 {
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		maps.Copy(cfg.Volumes, img.Volumes)
	}
	if cfg.StopSignal == "" {
		cfg.StopSignal = img.StopSignal
	}
	if len(cfg.OnBuild) == 0 {
		cfg.OnBuild = slices.Clone(img.OnBuild)
	}
	if len(cfg.Shell) == 0 {
		cfg.Shell = slices.Clone(img.Shell)
	}
}

func mergeHealthcheck(cfg *container.Config, img *dockerspec.HealthcheckConfig) {
	if img == nil {
		return
	}
	if cfg.Healthcheck == nil {
		hc := *img
		hc.Test = slices.Clone(img.Test)
		cfg.Healthcheck = &hc
		return
	}
	h := cfg.Healthcheck
	if len(h.Test) == 0 {
		h.Test = img.Test
	}
	if h.Interval == 0 {
		h.Interval = img.Interval
	}
	if h.Timeout == 0 {
		h.Timeout = img.Timeout
	}
	if h.StartPeriod == 0 {
		h.StartPeriod = img.StartPeriod
	}
	if h.StartInterval == 0 {
		h.StartInterval = img.StartInterval
	}
	if h.Retries == 0 {
		h.Retries = img.Retries
	}
}

// mergeEnvByKey appends the image's variables whose keys the user did not set.
func mergeEnvByKey(user, image []string) []string {
	if len(user) == 0 {
		return slices.Clone(image)
	}
	keys := map[string]bool{}
	for _, e := range user {
		keys[envKey(e)] = true
	}
	for _, e := range image {
		if !keys[envKey(e)] {
			user = append(user, e)
		}
	}
	return user
}

func envKey(e string) string {
	k, _, _ := strings.Cut(e, "=")
	return k
}
