package container

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
)

// The filesystem side of the service: commit, diff and export. The layer
// and image stores' extra abilities are found by type assertion, so the
// service's core dependencies stay small.

var _ api.ContainerFilesBackend = (*Service)(nil)

type rwFiles interface {
	RWDiffTar(id string) (io.ReadCloser, error)
	RWChanges(id string) ([]layer.Change, error)
	ExportRW(id string) (io.ReadCloser, error)
}

type imageCommitter interface {
	Commit(ctx context.Context, parent *image.Image, layerTar io.Reader, opts image.CommitOptions) (*image.Image, error)
}

func (s *Service) rwFiles() (rwFiles, error) {
	if f, ok := s.layers.(rwFiles); ok {
		return f, nil
	}
	return nil, errdefs.NotImplemented("the layer store cannot diff container layers")
}

// ContainerCommit makes a new image from the container's image plus its RW
// layer. Volumes are not in the RW layer, so their contents are left out,
// as Docker does. With opts.Pause a running container is frozen while its
// layer is read, so that the layer is consistent, and always thawed after.
func (s *Service) ContainerCommit(ctx context.Context, ref string, opts api.CommitOptions) (string, error) {
	files, err := s.rwFiles()
	if err != nil {
		return "", err
	}
	committer, ok := s.images.(imageCommitter)
	if !ok {
		return "", errdefs.NotImplemented("the image store cannot commit")
	}
	s.mu.Lock()
	r, err := s.lookupLocked(ref)
	var id, imageID string
	var cfg *container.Config
	var pause bool
	if err == nil {
		id, imageID, cfg = r.ID, r.ImageID, r.Config
		pause = opts.Pause && r.State.Status == stateRunning && !r.State.Paused
	}
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	parent, err := s.images.Get(imageID)
	if err != nil {
		return "", err
	}
	cfgJSON, err := json.Marshal(mergeCommitConfig(cfg, opts.Config))
	if err != nil {
		return "", err
	}
	if pause {
		resume, err := s.pauseForCommit(ctx, r)
		if err != nil {
			return "", err
		}
		defer resume()
	}
	tar, err := files.RWDiffTar(id)
	if err != nil {
		return "", err
	}
	defer tar.Close()
	img, err := committer.Commit(ctx, parent, tar, image.CommitOptions{
		Ref: opts.Ref, Changes: opts.Changes, Author: opts.Author, Comment: opts.Comment, Config: cfgJSON,
	})
	if err != nil {
		return "", err
	}
	return img.ID.String(), nil
}

// mergeCommitConfig is the container's config with the request's non-empty
// fields laid over it; environment variables merge by name (dockerd's rule).
func mergeCommitConfig(base, over *container.Config) *container.Config {
	var out container.Config
	if base != nil {
		out = *base
	}
	if over == nil {
		return &out
	}
	if len(over.Cmd) > 0 {
		out.Cmd = over.Cmd
	}
	if len(over.Entrypoint) > 0 {
		out.Entrypoint = over.Entrypoint
	}
	if over.User != "" {
		out.User = over.User
	}
	if over.WorkingDir != "" {
		out.WorkingDir = over.WorkingDir
	}
	if over.StopSignal != "" {
		out.StopSignal = over.StopSignal
	}
	if over.Healthcheck != nil {
		out.Healthcheck = over.Healthcheck
	}
	if len(over.OnBuild) > 0 {
		out.OnBuild = over.OnBuild
	}
	if len(over.Env) > 0 {
		out.Env = mergeEnv(out.Env, over.Env)
	}
	if len(over.Labels) > 0 {
		out.Labels = maps.Clone(out.Labels)
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
		maps.Copy(out.Labels, over.Labels)
	}
	if len(over.ExposedPorts) > 0 {
		out.ExposedPorts = maps.Clone(out.ExposedPorts)
		if out.ExposedPorts == nil {
			out.ExposedPorts = over.ExposedPorts
		} else {
			maps.Copy(out.ExposedPorts, over.ExposedPorts)
		}
	}
	if len(over.Volumes) > 0 {
		out.Volumes = maps.Clone(out.Volumes)
		if out.Volumes == nil {
			out.Volumes = over.Volumes
		} else {
			maps.Copy(out.Volumes, over.Volumes)
		}
	}
	return &out
}

func mergeEnv(base, over []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				out[i], replaced = kv, true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// ContainerChanges lists what the container changed (docker diff).
func (s *Service) ContainerChanges(ctx context.Context, ref string) ([]container.FilesystemChange, error) {
	files, err := s.rwFiles()
	if err != nil {
		return nil, err
	}
	r, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	changes, err := files.RWChanges(r.ID)
	if err != nil {
		return nil, err
	}
	out := make([]container.FilesystemChange, 0, len(changes))
	for _, c := range changes {
		out = append(out, container.FilesystemChange{Path: c.Path, Kind: container.ChangeType(c.Kind)})
	}
	return out, nil
}

// ContainerExport streams the container's flattened filesystem as a tar.
func (s *Service) ContainerExport(ctx context.Context, ref string) (io.ReadCloser, error) {
	files, err := s.rwFiles()
	if err != nil {
		return nil, err
	}
	r, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	return files.ExportRW(r.ID)
}
