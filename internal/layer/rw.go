package layer

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/mount"
)

// A container's layer is root/containers/<id>/{upper,work,init,rw.json}
// (init: see initlayer.go; layers made before it existed have none). The
// directory may be shared with the container service's own files, so rw.json
// (written last, atomically) is what says the layer exists.

type rwLayer struct {
	Parent digest.Digest `json:"parent,omitempty"`
}

var validID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

func (s *Store) rwDir(id string) string { return filepath.Join(s.root, "containers", id) }

// CreateRW makes a container's read-write layer on top of the image's top layer.
func (s *Store) CreateRW(id string, parent digest.Digest) error {
	if !validID.MatchString(id) {
		return errdefs.Invalid("invalid container layer ID %q", id)
	}
	if parent != "" {
		if _, err := s.Get(parent); err != nil {
			return err
		}
	}
	dir := s.rwDir(id)
	if _, err := os.Stat(filepath.Join(dir, "rw.json")); err == nil {
		return errdefs.Conflict("container layer %s already exists", id)
	}
	lowers, err := s.chain(parent)
	if err != nil {
		return err
	}
	for _, d := range []string{"upper", "work", "init"} {
		// Start clean: leftovers of a create that crashed before rw.json.
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := buildInit(s.initDir(id), lowers); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "rw.json"), rwLayer{Parent: parent})
}

func (s *Store) getRW(id string) (rwLayer, error) {
	var rw rwLayer
	if !validID.MatchString(id) {
		return rw, errdefs.Invalid("invalid container layer ID %q", id)
	}
	b, err := os.ReadFile(filepath.Join(s.rwDir(id), "rw.json"))
	if errors.Is(err, os.ErrNotExist) {
		return rw, errdefs.NotFound("container layer %s not found", id)
	}
	if err != nil {
		return rw, err
	}
	return rw, json.Unmarshal(b, &rw)
}

// RemoveRW deletes a container's layer (it must not be mounted).
func (s *Store) RemoveRW(id string) error {
	if _, err := s.getRW(id); err != nil {
		return err
	}
	dir := s.rwDir(id)
	if mounted, err := isUpperMounted(filepath.Join(dir, "upper")); err != nil {
		return err
	} else if mounted {
		return errdefs.Conflict("container layer %s is still mounted", id)
	}
	if err := os.Remove(filepath.Join(dir, "rw.json")); err != nil {
		return err
	}
	for _, d := range []string{"upper", "work", "init", "empty"} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			return err
		}
	}
	os.Remove(dir) // only if empty: the container service may keep files here
	return nil
}

// isUpperMounted reports whether an overlay uses upper as its upperdir.
func isUpperMounted(upper string) (bool, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false, err
	}
	return strings.Contains(string(b), "upperdir="+upper+","), nil
}

// Mounts describes the container's rootfs: one overlay mount (Target empty).
func (s *Store) Mounts(id string) ([]mount.Mount, error) {
	dirs, err := s.Dirs(id)
	if err != nil {
		return nil, err
	}
	dir := s.rwDir(id)
	lower := dirs[1:]
	if len(lower) == 0 { // a layer made before init layers, on no image
		lower = []string{filepath.Join(dir, "empty")}
	}
	return []mount.Mount{{
		Type:   "overlay",
		Source: "overlay",
		Options: []string{
			"lowerdir=" + strings.Join(lower, ":"),
			"upperdir=" + dirs[0],
			"workdir=" + filepath.Join(dir, "work"),
		},
	}}, nil
}

// Dirs lists the container's directories from the top (its upper dir, then
// its init layer) down to the base layer, to read files such as /etc/passwd
// without mounting.
func (s *Store) Dirs(id string) ([]string, error) {
	rw, err := s.getRW(id)
	if err != nil {
		return nil, err
	}
	lower, err := s.chain(rw.Parent)
	if err != nil {
		return nil, err
	}
	dirs := []string{filepath.Join(s.rwDir(id), "upper")}
	if _, err := os.Stat(s.initDir(id)); err == nil {
		dirs = append(dirs, s.initDir(id))
	}
	return append(dirs, lower...), nil
}

// RWSize is the size of the files in a container's upper dir.
func (s *Store) RWSize(id string) (int64, error) {
	if _, err := s.getRW(id); err != nil {
		return 0, err
	}
	var size int64
	err := filepath.WalkDir(filepath.Join(s.rwDir(id), "upper"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	return size, err
}

// RWParents lists the layers that container layers sit on, so that the image
// store never releases a layer a container (even of a force-deleted image)
// still uses.
func (s *Store) RWParents() ([]digest.Digest, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "containers"))
	if err != nil {
		return nil, err
	}
	var ps []digest.Digest
	for _, e := range ents {
		if rw, err := s.getRW(e.Name()); err == nil && rw.Parent != "" {
			ps = append(ps, rw.Parent)
		}
	}
	return ps, nil
}
