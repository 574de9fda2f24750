package testenv

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ImageSpec describes an image written by WriteDockerArchive.
type ImageSpec struct {
	Tags   []string // RepoTags, e.g. "busybox:latest"; may be empty
	Cmd    []string // default ["sh"]
	Env    []string // default PATH only
	Layers []string // paths of uncompressed layer tars, base first
}

// WriteDockerArchive writes a `docker save` style archive (manifest.json,
// repositories, <config digest>.json, <diff id>/layer.tar) at path. It is
// built independently of Wharf so that pushing it with skopeo gives tests a
// reference image in a registry.
func WriteDockerArchive(path string, spec ImageSpec) error {
	cmd := spec.Cmd
	if cmd == nil {
		cmd = []string{"sh"}
	}
	env := spec.Env
	if env == nil {
		env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	var diffIDs []string
	for _, l := range spec.Layers {
		d, err := fileSHA256(l)
		if err != nil {
			return err
		}
		diffIDs = append(diffIDs, d)
	}
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	var history []map[string]any
	for i := range spec.Layers {
		history = append(history, map[string]any{"created": created, "created_by": fmt.Sprintf("wharf-test: layer %d", i)})
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      created,
		"config":       map[string]any{"Env": env, "Cmd": cmd},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history":      history,
	})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(config)
	configName := hex.EncodeToString(sum[:]) + ".json"
	var layerNames []string
	for _, d := range diffIDs {
		layerNames = append(layerNames, strings.TrimPrefix(d, "sha256:")+"/layer.tar")
	}
	tags := spec.Tags
	if tags == nil {
		tags = []string{}
	}
	manifest, _ := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": tags, "Layers": layerNames}})
	repos := map[string]map[string]string{}
	for _, tag := range tags {
		i := strings.LastIndex(tag, ":")
		if i < 0 || strings.Contains(tag[i:], "/") {
			continue
		}
		if repos[tag[:i]] == nil {
			repos[tag[:i]] = map[string]string{}
		}
		repos[tag[:i]][tag[i+1:]] = strings.TrimPrefix(diffIDs[len(diffIDs)-1], "sha256:")
	}
	reposJSON, _ := json.Marshal(repos)

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	add := func(name string, body []byte) error {
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	err = func() error {
		for i, l := range spec.Layers {
			dir := strings.TrimSuffix(layerNames[i], "/layer.tar")
			if err := tw.WriteHeader(&tar.Header{Name: dir + "/", Mode: 0o755, Typeflag: tar.TypeDir, ModTime: time.Unix(0, 0)}); err != nil {
				return err
			}
			if err := addFile(tw, layerNames[i], l); err != nil {
				return err
			}
		}
		if err := add(configName, config); err != nil {
			return err
		}
		if err := add("manifest.json", manifest); err != nil {
			return err
		}
		if err := add("repositories", reposJSON); err != nil {
			return err
		}
		return tw.Close()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

func addFile(tw *tar.Writer, name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: st.Size(), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// TarEntry is one entry of a layer written by WriteLayerTar.
type TarEntry struct {
	Name     string
	Type     byte // tar.TypeReg (default), TypeDir, TypeSymlink, TypeLink, TypeChar...
	Body     string
	Linkname string
	Mode     int64 // default 0644 (0755 for directories)
}

// WriteLayerTar writes an uncompressed layer tar with exactly these entries
// (no cleaning of names: tests use it for hostile layers too).
func WriteLayerTar(path string, entries ...TarEntry) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Linkname, Mode: e.Mode,
			ModTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("entry %q: %w", e.Name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, e.Body); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// BusyboxArchive writes a docker-archive of BusyboxTar tagged tags into the
// test's temp dir and returns its path.
func BusyboxArchive(t testing.TB, tags ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "busybox-archive.tar")
	if err := WriteDockerArchive(p, ImageSpec{Tags: tags, Layers: []string{BusyboxTar(t)}}); err != nil {
		t.Fatalf("testenv: docker-archive: %v", err)
	}
	return p
}
