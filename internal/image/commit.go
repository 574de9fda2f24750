package image

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	ocispec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errdefs"
)

// CommitOptions of `docker commit`.
type CommitOptions struct {
	Ref     string   // tag for the new image ("" for none)
	Changes []string // Dockerfile-style, as for Import
	Author  string
	Comment string
	// Config is the container's config (Cmd, Env, ...) the new image takes
	// its defaults from, as JSON of a Docker container config; may be nil.
	Config []byte
}

// Commit makes a new image: parent's layers plus layerTar (the container's
// upper dir as a tar with .wh. whiteouts) as one new layer. Like Docker on
// overlay, an empty diff still adds a layer.
func (s *Store) Commit(ctx context.Context, parent *Image, layerTar io.Reader, opts CommitOptions) (*Image, error) {
	var tag string
	if opts.Ref != "" {
		var err error
		if tag, err = parseTag(opts.Ref); err != nil {
			return nil, err
		}
	}
	// A Docker container config has the image config's field names and
	// JSON keys (Cmd, Env, ExposedPorts, Healthcheck, ...).
	var ctr ocispec.DockerOCIImageConfig
	if len(opts.Config) > 0 {
		if err := json.Unmarshal(opts.Config, &ctr); err != nil {
			return nil, errdefs.Invalid("invalid container config: %v", err)
		}
	}
	var img ocispec.DockerOCIImage
	var top digest.Digest
	if parent != nil {
		img = parent.Config
		top = parent.TopLayer
	} else {
		img.Platform = imgspec.Platform{Architecture: runtime.GOARCH, OS: "linux"}
	}
	cfg := mergeConfig(ctr, img.Config)
	if err := applyChanges(&cfg, opts.Changes); err != nil {
		return nil, err
	}

	release := s.Lease()
	defer release()
	l, err := s.layers.Apply(top, ctxReader{ctx, layerTar})
	if err != nil {
		return nil, err
	}
	created := time.Now().UTC()
	img.Config = cfg
	img.Created = &created
	img.Author = opts.Author
	img.RootFS = imgspec.RootFS{Type: "layers",
		DiffIDs: append(slices.Clone(img.RootFS.DiffIDs), l.DiffID)}
	img.History = append(slices.Clone(img.History), imgspec.History{
		Created:   &created,
		CreatedBy: strings.Join(ctr.Cmd, " "),
		Author:    opts.Author,
		Comment:   opts.Comment,
	})
	b, err := json.Marshal(img)
	if err != nil {
		return nil, err
	}
	var m meta
	if parent != nil {
		m.Parent = parent.ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.record(b, img, m, tag)
	if err != nil {
		return nil, err
	}
	return s.image(id), nil
}

// mergeConfig fills what the container's config leaves unset from the
// image's, like Docker's commit merge: the container wins, env and labels
// are merged by key, ports and volumes united.
func mergeConfig(ctr, image ocispec.DockerOCIImageConfig) ocispec.DockerOCIImageConfig {
	out := ctr
	if out.User == "" {
		out.User = image.User
	}
	for _, e := range image.Env {
		k, _, _ := strings.Cut(e, "=")
		if !slices.ContainsFunc(out.Env, func(c string) bool { ck, _, _ := strings.Cut(c, "="); return ck == k }) {
			out.Env = append(out.Env, e)
		}
	}
	if len(out.Entrypoint) == 0 {
		if len(out.Cmd) == 0 {
			out.Cmd = image.Cmd
			out.ArgsEscaped = image.ArgsEscaped
		}
		if out.Entrypoint == nil {
			out.Entrypoint = image.Entrypoint
		}
	}
	out.Labels = union(image.Labels, ctr.Labels)
	out.ExposedPorts = union(image.ExposedPorts, ctr.ExposedPorts)
	out.Volumes = union(image.Volumes, ctr.Volumes)
	if out.WorkingDir == "" {
		out.WorkingDir = image.WorkingDir
	}
	if out.StopSignal == "" {
		out.StopSignal = image.StopSignal
	}
	if out.Healthcheck == nil {
		out.Healthcheck = image.Healthcheck
	}
	if len(out.OnBuild) == 0 {
		out.OnBuild = image.OnBuild
	}
	if len(out.Shell) == 0 {
		out.Shell = image.Shell
	}
	return out
}

// union returns base with over's entries on top (nil when both are empty).
func union[V any](base, over map[string]V) map[string]V {
	if len(base)+len(over) == 0 {
		return nil
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]V{}
	}
	maps.Copy(out, over)
	return out
}
