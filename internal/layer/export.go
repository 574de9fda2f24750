package layer

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// CONTRACT additions for the images-and-registries issue.

// DiffTar streams one layer as an uncompressed tar. A layer applied with
// tar-split metadata gives back the exact tar it was applied from (same
// DiffID). Older layers, and layers whose tar the files cannot reproduce
// (a path written twice), are walked in a canonical order instead: overlay
// whiteouts turned back into .wh. entries and opaque dirs into .wh..wh..opq.
func (s *Store) DiffTar(chainID digest.Digest) (io.ReadCloser, error) {
	if _, err := s.Get(chainID); err != nil {
		return nil, err
	}
	dir := s.DiffDir(chainID)
	rc, err := reassemble(filepath.Join(s.dir(chainID), splitFile), dir)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return rc, err
	}
	return stream(func(t *tarWriter) error { return t.walkDir(dir, "") }), nil
}

// RWDiffTar streams a container's upper dir the same way (for commit).
func (s *Store) RWDiffTar(id string) (io.ReadCloser, error) {
	if _, err := s.getRW(id); err != nil {
		return nil, err
	}
	upper := filepath.Join(s.rwDir(id), "upper")
	return stream(func(t *tarWriter) error { return t.walkDir(upper, "") }), nil
}

// ExportRW streams the container's whole filesystem (image + changes,
// flattened, no whiteouts) as a tar, for `docker export`. It merges the
// layer dirs itself, as overlay would: the topmost entry of a name wins, a
// whiteout hides lower ones, an opaque dir hides lower dirs' contents.
func (s *Store) ExportRW(id string) (io.ReadCloser, error) {
	dirs, err := s.Dirs(id)
	if err != nil {
		return nil, err
	}
	return stream(func(t *tarWriter) error {
		t.flat = true
		return t.merged(dirs, "")
	}), nil
}

// merged writes the union of rel in layers (top first, each holding rel as
// a directory) in sorted order.
func (t *tarWriter) merged(layers []string, rel string) error {
	from := map[string]int{} // name -> index of the layer it is taken from
	hidden := map[string]bool{}
	for i, l := range layers {
		ents, err := os.ReadDir(filepath.Join(l, rel))
		if err != nil {
			return err
		}
		for _, e := range ents {
			n := e.Name()
			if _, ok := from[n]; ok || hidden[n] {
				continue
			}
			var st unix.Stat_t
			if unix.Lstat(filepath.Join(l, rel, n), &st) == nil && isWhiteout(&st) {
				hidden[n] = true
				continue
			}
			from[n] = i
		}
		if rel != "" && isOpaque(filepath.Join(l, rel)) {
			break
		}
	}
	names := make([]string, 0, len(from))
	for n := range from {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		name := filepath.Join(rel, n)
		i := from[n]
		isDir, err := t.entry(filepath.Join(layers[i], name), name)
		if err != nil {
			return err
		}
		if !isDir {
			continue
		}
		// The dir's contents come from it and the dirs of the same name below,
		// down to the first layer where the name is something else (a file
		// or a whiteout). A layer without the name leaves it alone: skip it.
		sub := []string{layers[i]}
		for _, l := range layers[i+1:] {
			fi, err := os.Lstat(filepath.Join(l, name))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil || !fi.IsDir() {
				break
			}
			sub = append(sub, l)
		}
		if err := t.merged(sub, name); err != nil {
			return err
		}
	}
	return nil
}
