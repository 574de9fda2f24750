package archive

import (
	"archive/tar"
	"encoding/json"
	"time"

	"github.com/opencontainers/go-digest"
)

// The pre-25 `docker save` layout, written beside the OCI one: a directory
// per layer named by its v1 ID, holding VERSION, json (the layer's v1
// config) and layer.tar, a hardlink to the layer's blob so the data is
// stored once. Tools that predate Docker 25 read these directories; Docker
// itself reads manifest.json, which names the blobs.

// v1Config is a container config as Docker 20.10 marshaled it: v1 IDs hash
// this exact shape (every field present, even empty), so the field set,
// order and omitempty flags follow that version, not today's API.
type v1Config struct {
	Hostname        string
	Domainname      string
	User            string
	AttachStdin     bool
	AttachStdout    bool
	AttachStderr    bool
	ExposedPorts    map[string]struct{} `json:",omitempty"`
	Tty             bool
	OpenStdin       bool
	StdinOnce       bool
	Env             []string
	Cmd             strList
	Healthcheck     *v1Health `json:",omitempty"`
	ArgsEscaped     bool      `json:",omitempty"`
	Image           string
	Volumes         map[string]struct{}
	WorkingDir      string
	Entrypoint      strList
	NetworkDisabled bool   `json:",omitempty"`
	MacAddress      string `json:",omitempty"`
	OnBuild         []string
	Labels          map[string]string
	StopSignal      string  `json:",omitempty"`
	StopTimeout     *int    `json:",omitempty"`
	Shell           strList `json:",omitempty"`
}

type v1Health struct {
	Test        []string      `json:",omitempty"`
	Interval    time.Duration `json:",omitempty"`
	Timeout     time.Duration `json:",omitempty"`
	StartPeriod time.Duration `json:",omitempty"`
	Retries     int           `json:",omitempty"`
}

// strList is a command: Docker accepts a bare string for one.
type strList []string

func (s *strList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = nil
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = strList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// v1Image is a layer's v1 config (the per-layer json file).
type v1Image struct {
	ID              string    `json:"id,omitempty"`
	Parent          string    `json:"parent,omitempty"`
	Comment         string    `json:"comment,omitempty"`
	Created         time.Time `json:"created"`
	Container       string    `json:"container,omitempty"`
	ContainerConfig v1Config  `json:"container_config,omitempty"`
	DockerVersion   string    `json:"docker_version,omitempty"`
	Author          string    `json:"author,omitempty"`
	Config          *v1Config `json:"config,omitempty"`
	Architecture    string    `json:"architecture,omitempty"`
	Variant         string    `json:"variant,omitempty"`
	OS              string    `json:"os,omitempty"`
	Size            int64     `json:",omitempty"`
}

// v1Layers gives the v1 ID and json of each layer of an image, base first.
// Lower layers carry only the epoch as created (Docker's choice, so that
// images sharing a base share its directories); the top layer carries the
// image's config. Docker used the daemon's local time zone for the epoch;
// UTC keeps archives the same on every machine (and equal on UTC hosts).
func v1Layers(config []byte, chains []digest.Digest) (ids []string, jsons [][]byte, err error) {
	var top v1Image
	if err := json.Unmarshal(config, &top); err != nil {
		return nil, nil, err
	}
	top.ID, top.Parent = "", "" // the config's "parent" is the image's, not a v1 ID
	var parent digest.Digest
	for i, chain := range chains {
		v := v1Image{Created: time.Unix(0, 0).UTC()}
		if i == len(chains)-1 {
			v = top
		}
		id, err := v1ID(v, chain, parent)
		if err != nil {
			return nil, nil, err
		}
		v.ID, v.OS = id.Encoded(), top.OS
		if parent != "" {
			v.Parent = parent.Encoded()
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, nil, err
		}
		ids, jsons = append(ids, v.ID), append(jsons, b)
		parent = id
	}
	return ids, jsons, nil
}

// v1ID is Docker's v1 layer ID: the digest of the layer's v1 config (no id,
// os only where the config has it) with its chain ID as "layer_id" and its
// parent's v1 ID as "parent", keys sorted.
func v1ID(v v1Image, chain, parent digest.Digest) (digest.Digest, error) {
	v.ID = ""
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	m["layer_id"], _ = json.Marshal(chain)
	if parent != "" {
		m["parent"], _ = json.Marshal(parent)
	}
	if b, err = json.Marshal(m); err != nil {
		return "", err
	}
	return digest.FromBytes(b), nil
}

// legacyLayer writes the directory of one v1 layer once; its layer.tar
// links to blob, which the archive holds already.
func (sv *saver) legacyLayer(id string, v1json []byte, blob digest.Digest, mtime time.Time) error {
	if sv.legacy[id] {
		return nil
	}
	sv.legacy[id] = true
	if err := sv.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: id + "/", Mode: 0o755,
		ModTime: regHeader("", 0, mtime).ModTime}); err != nil {
		return err
	}
	if err := sv.entry(id+"/VERSION", []byte("1.0"), mtime); err != nil {
		return err
	}
	if err := sv.entry(id+"/json", v1json, mtime); err != nil {
		return err
	}
	return sv.link(id+"/layer.tar", blobPath(blob), mtime)
}

// link writes a hardlink to an earlier entry.
func (sv *saver) link(name, target string, mtime time.Time) error {
	h := regHeader(name, 0, mtime)
	h.Typeflag, h.Linkname = tar.TypeLink, target
	return sv.tw.WriteHeader(h)
}
