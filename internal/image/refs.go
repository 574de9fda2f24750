package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	ocispec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

const tmpPrefix = ".tmp-"

var (
	hexPrefix = regexp.MustCompile(`^[a-f0-9]{1,64}$`)
	fullHex   = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

// resolve finds the image ID for a name, a full ID, "sha256:<ID>" or an ID
// prefix, in Docker's order: digests, then names, then prefixes.
func (s *Store) resolve(ref string) (digest.Digest, error) {
	notFound := errdefs.NotFound("No such image: %s", ref)
	hexPart := strings.TrimPrefix(ref, "sha256:")
	if strings.HasPrefix(ref, "sha256:") || fullHex.MatchString(ref) {
		if fullHex.MatchString(hexPart) {
			id := digest.NewDigestFromEncoded(digest.SHA256, hexPart)
			if _, ok := s.configs[id]; ok {
				return id, nil
			}
			return "", notFound
		}
	} else if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		if _, digested := named.(reference.Digested); !digested {
			if id, ok := s.repos[reference.TagNameOnly(named).String()]; ok {
				return id, nil
			}
		} else if name, _, err := parseRepoDigest(ref); err == nil {
			if id, ok := s.byRepoDigest(name); ok {
				return id, nil
			}
			return "", notFound
		}
	}
	if !hexPrefix.MatchString(hexPart) {
		return "", notFound
	}
	var found []digest.Digest
	for id := range s.configs {
		if strings.HasPrefix(id.Encoded(), hexPart) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return "", notFound
	case 1:
		return found[0], nil
	}
	return "", errdefs.Invalid("ambiguous image ID %q: it matches %d images, give more characters", ref, len(found))
}

// parseTag normalizes a reference to tag an image with.
func parseTag(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", errdefs.Invalid("invalid reference format: %q: %v", ref, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return "", errdefs.Invalid("refusing to create a tag with a digest reference: %s", ref)
	}
	if fullHex.MatchString(reference.Path(named)) || fullHex.MatchString(reference.FamiliarName(named)) {
		return "", errdefs.Invalid("invalid repository name (%s), cannot specify 64-byte hexadecimal strings", ref)
	}
	return reference.TagNameOnly(named).String(), nil
}

// familiar shows a normalized reference the way Docker does ("busybox:latest").
func familiar(name string) string {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name
	}
	return reference.FamiliarString(named)
}

func (s *Store) reposFile() string { return filepath.Join(s.root, "repositories.json") }

func (s *Store) configPath(id digest.Digest) string {
	return filepath.Join(s.root, "configs", id.Encoded())
}

// load reads configs and tags, dropping temps of interrupted writes and tags
// of configs that never made it to disk.
func (s *Store) load() error {
	dir := filepath.Join(s.root, "configs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if tmps, _ := filepath.Glob(filepath.Join(s.root, tmpPrefix+"*")); len(tmps) > 0 {
		for _, t := range tmps {
			os.Remove(t)
		}
	}
	s.configs = map[digest.Digest]ocispec.DockerOCIImage{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			os.Remove(p)
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		id := digest.FromBytes(b)
		var cfg ocispec.DockerOCIImage
		if id.Encoded() != e.Name() || json.Unmarshal(b, &cfg) != nil {
			return fmt.Errorf("image config %s is corrupt", p)
		}
		s.configs[id] = cfg
	}
	s.repos = map[string]digest.Digest{}
	b, err := os.ReadFile(s.reposFile())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err == nil {
		if err := json.Unmarshal(b, &s.repos); err != nil {
			return fmt.Errorf("%s: %w", s.reposFile(), err)
		}
	}
	for name, id := range s.repos {
		if _, ok := s.configs[id]; !ok {
			delete(s.repos, name)
		}
	}
	return nil
}

// setRepos applies change to a copy of the tags and persists it; memory is
// updated only once the file is safely replaced.
func (s *Store) setRepos(change func(map[string]digest.Digest)) error {
	m := make(map[string]digest.Digest, len(s.repos)+1)
	for k, v := range s.repos {
		m[k] = v
	}
	change(m)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(s.reposFile(), b); err != nil {
		return err
	}
	s.repos = m
	return nil
}

// writeFile writes path atomically: temp file, fsync, rename.
func writeFile(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), tmpPrefix)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
