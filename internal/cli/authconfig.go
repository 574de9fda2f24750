package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
)

// indexServer is the key docker uses for Docker Hub in config.json.
const indexServer = "https://index.docker.io/v1/"

// configDir is $DOCKER_CONFIG or ~/.docker, where docker keeps config.json.
func configDir() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/root"
	}
	return filepath.Join(home, ".docker")
}

// authEntry is one "auths" entry of config.json.
type authEntry struct {
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
}

// authFile is config.json, read whole so that keys we do not know
// (credsStore, proxies, ...) survive a rewrite.
type authFile struct {
	path  string
	raw   map[string]json.RawMessage
	auths map[string]authEntry
}

func readAuthFile(dir string) (*authFile, error) {
	f := &authFile{path: filepath.Join(dir, "config.json"), raw: map[string]json.RawMessage{}, auths: map[string]authEntry{}}
	b, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return f, nil
	}
	if err := json.Unmarshal(b, &f.raw); err != nil {
		return nil, fmt.Errorf("loading config file %s: %w", f.path, err)
	}
	if a, ok := f.raw["auths"]; ok {
		if err := json.Unmarshal(a, &f.auths); err != nil {
			return nil, fmt.Errorf("loading config file %s: %w", f.path, err)
		}
	}
	return f, nil
}

// save writes config.json atomically with mode 0600: it holds passwords.
func (f *authFile) save() error {
	b, err := json.Marshal(f.auths)
	if err != nil {
		return err
	}
	f.raw["auths"] = b
	out, err := json.MarshalIndent(f.raw, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".config.json.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(out, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path)
}

// registryKey is the config.json key of a registry: Docker Hub's index URL,
// or "host[:port]".
func registryKey(server string) string {
	host := hostOf(server)
	switch host {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io":
		return indexServer
	}
	return host
}

// hostOf strips a scheme and path: "https://r:5000/v2/" -> "r:5000".
func hostOf(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	return s
}

// set stores credentials for server (a token replaces the password).
func (f *authFile) set(server, user, password, token string) {
	e := authEntry{Auth: base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}
	if token != "" {
		e = authEntry{Auth: base64.StdEncoding.EncodeToString([]byte(user + ":")), IdentityToken: token}
	}
	f.auths[registryKey(server)] = e
}

// remove drops server's credentials under any spelling of its key; false
// when there were none.
func (f *authFile) remove(server string) bool {
	want, found := registryKey(server), false
	for k := range f.auths {
		if registryKey(k) == want {
			delete(f.auths, k)
			found = true
		}
	}
	return found
}

// lookup returns the credentials stored for server, matching keys by host.
func (f *authFile) lookup(server string) (registry.AuthConfig, bool) {
	want := registryKey(server)
	for k, e := range f.auths {
		if registryKey(k) != want {
			continue
		}
		a := registry.AuthConfig{ServerAddress: want, IdentityToken: e.IdentityToken}
		if b, err := base64.StdEncoding.DecodeString(e.Auth); err == nil {
			a.Username, a.Password, _ = strings.Cut(string(b), ":")
		}
		return a, true
	}
	return registry.AuthConfig{ServerAddress: want}, false
}

// encodeAuth is the X-Registry-Auth header value: base64url JSON.
func encodeAuth(a registry.AuthConfig) string {
	b, _ := json.Marshal(a)
	return base64.URLEncoding.EncodeToString(b)
}

// authHeaderFor finds the stored credentials for an image reference's
// registry; "" (anonymous) when there are none.
func authHeaderFor(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	f, err := readAuthFile(configDir())
	if err != nil {
		return ""
	}
	a, ok := f.lookup(reference.Domain(named))
	if !ok {
		return ""
	}
	return encodeAuth(a)
}
