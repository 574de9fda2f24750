// Package archive writes and reads image archives: `docker save` format
// (manifest.json, repositories, and an OCI layout) and OCI archives.
package archive

import (
	"context"
	"io"

	"github.com/wharf/wharf/internal/image"
)

// CONTRACT (used by the API).

// Save writes the images refs name (names, tags, IDs) as one tar that both
// `docker load` (manifest.json) and OCI tools (index.json, oci-layout) read.
func Save(ctx context.Context, s *image.Store, refs []string, w io.Writer) error {
	return save(ctx, s, refs, w)
}

// Load reads a docker-archive or an OCI archive (tar, optionally gzip) and
// registers its images; report gets Docker's lines ("Loaded image: x:y",
// "Loaded image ID: sha256:...").
func Load(ctx context.Context, s *image.Store, r io.Reader, report func(line string)) error {
	return load(ctx, s, r, report)
}
