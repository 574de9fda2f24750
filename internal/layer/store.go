// Package layer stores image layers as overlay snapshots keyed by chain ID,
// plus the read-write layers of containers.
//
// Layout: root/layers/<chainID hex>/{diff/, layer.json, tar-split.json.gz};
// a layer is unpacked
// into root/layers/.tmp-* and renamed into place, so after a crash a layer
// either exists whole or not at all (NewStore removes leftover temps).
package layer

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

// CONTRACT (used by the image store and the container service).

// Layer is one unpacked image layer.
type Layer struct {
	ChainID digest.Digest `json:"chain_id"`
	DiffID  digest.Digest `json:"diff_id"` // sha256 of the uncompressed tar
	Parent  digest.Digest `json:"parent,omitempty"`
	Size    int64         `json:"size"` // bytes of files in this layer alone
}

// Store keeps layers under root/layers/<chainID hex>/ and container layers
// under root/containers/<id>/.
type Store struct {
	root string
	mu   sync.Mutex // serializes publishing and removing layers
}

const tmpPrefix = ".tmp-"

func NewStore(root string) (*Store, error) {
	s := &Store{root: root}
	for _, d := range []string{s.layersDir(), filepath.Join(root, "containers")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		spreadInodes(d)
	}
	ents, err := os.ReadDir(s.layersDir())
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			if err := os.RemoveAll(filepath.Join(s.layersDir(), e.Name())); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// ChainID computes a layer's chain ID per the OCI image spec:
// ChainID(base) = DiffID(base); ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n)).
func ChainID(parent, diffID digest.Digest) digest.Digest {
	if parent == "" {
		return diffID
	}
	return digest.FromString(parent.String() + " " + diffID.String())
}

// Apply unpacks an (uncompressed or gzip) tar as a child of parent ("" for a
// base layer). Safe against ../, absolute symlinks, hardlinks out, and
// handles whiteouts. If the resulting chain ID exists, it is reused.
func (s *Store) Apply(parent digest.Digest, r io.Reader) (Layer, error) {
	if parent != "" {
		if _, err := s.Get(parent); err != nil {
			return Layer{}, err
		}
	}
	tmp, err := os.MkdirTemp(s.layersDir(), tmpPrefix)
	if err != nil {
		return Layer{}, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed into place
	diff := filepath.Join(tmp, "diff")
	if err := os.Mkdir(diff, 0o755); err != nil {
		return Layer{}, err
	}
	diffID, size, err := unpack(diff, filepath.Join(tmp, splitFile), r)
	if err != nil {
		return Layer{}, err
	}
	l := Layer{ChainID: ChainID(parent, diffID), DiffID: diffID, Parent: parent, Size: size}
	if err := writeJSON(filepath.Join(tmp, "layer.json"), l); err != nil {
		return Layer{}, err
	}
	if err := syncDir(tmp); err != nil {
		return Layer{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, err := s.Get(l.ChainID); err == nil {
		return old, nil
	}
	if err := os.Rename(tmp, s.dir(l.ChainID)); err != nil {
		return Layer{}, err
	}
	return l, nil
}

func (s *Store) Get(chainID digest.Digest) (Layer, error) {
	if chainID.Validate() != nil {
		return Layer{}, errdefs.Invalid("invalid layer ID %q", chainID)
	}
	b, err := os.ReadFile(filepath.Join(s.dir(chainID), "layer.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Layer{}, errdefs.NotFound("layer %s not found", chainID)
	}
	if err != nil {
		return Layer{}, err
	}
	var l Layer
	if err := json.Unmarshal(b, &l); err != nil {
		return Layer{}, err
	}
	return l, nil
}

// List returns every layer in the store (for garbage collection).
func (s *Store) List() ([]Layer, error) {
	ents, err := os.ReadDir(s.layersDir())
	if err != nil {
		return nil, err
	}
	var ls []Layer
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		l, err := s.Get(digest.NewDigestFromEncoded(digest.SHA256, e.Name()))
		if err != nil {
			continue
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// Remove deletes a layer; the caller (image store) knows it is unreferenced.
// The layer disappears atomically (renamed to a temp), then is deleted.
func (s *Store) Remove(chainID digest.Digest) error {
	if _, err := s.Get(chainID); err != nil {
		return err
	}
	s.mu.Lock()
	tmp := filepath.Join(s.layersDir(), tmpPrefix+"rm-"+chainID.Encoded())
	err := os.Rename(s.dir(chainID), tmp)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return os.RemoveAll(tmp)
}

// DiffDir is the directory holding a layer's files.
func (s *Store) DiffDir(chainID digest.Digest) string {
	return filepath.Join(s.dir(chainID), "diff")
}

// chain lists the diff dirs of chainID and its ancestors, top first.
func (s *Store) chain(chainID digest.Digest) ([]string, error) {
	var dirs []string
	for id := chainID; id != ""; {
		l, err := s.Get(id)
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, s.DiffDir(id))
		id = l.Parent
	}
	return dirs, nil
}

func (s *Store) layersDir() string { return filepath.Join(s.root, "layers") }

func (s *Store) dir(chainID digest.Digest) string {
	return filepath.Join(s.layersDir(), chainID.Encoded())
}

// writeJSON writes v to path atomically (temp file, fsync, rename).
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), tmpPrefix)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
