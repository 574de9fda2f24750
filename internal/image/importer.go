package image

import (
	"context"
	"encoding/json"
	"io"
	"runtime"
	"time"

	ocispec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"
)

func (s *Store) importTar(ctx context.Context, r io.Reader, ref string, changes []string, message string) (*Image, error) {
	// Validate everything before reading the (possibly large) tar.
	var name string
	if ref != "" {
		var err error
		if name, err = parseTag(ref); err != nil {
			return nil, err
		}
	}
	var cfg ocispec.DockerOCIImageConfig
	if err := applyChanges(&cfg, changes); err != nil {
		return nil, err
	}
	release := s.Lease()
	defer release()
	l, err := s.layers.Apply("", ctxReader{ctx, r})
	if err != nil {
		return nil, err
	}
	created := time.Now().UTC()
	img := ocispec.DockerOCIImage{
		Image: imgspec.Image{
			Created:  &created,
			Platform: imgspec.Platform{Architecture: runtime.GOARCH, OS: "linux"},
			RootFS:   imgspec.RootFS{Type: "layers", DiffIDs: []digest.Digest{l.DiffID}},
			History:  []imgspec.History{{Created: &created, Comment: message}},
		},
		Config: cfg,
	}
	b, err := json.Marshal(img)
	if err != nil {
		return nil, err
	}
	id := digest.FromBytes(b)

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.record(b, img, meta{}, name); err != nil {
		return nil, err
	}
	return s.image(id), nil
}

// ctxReader stops an import whose client went away.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
