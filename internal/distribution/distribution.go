// Package distribution pulls images from and pushes them to registries
// (Docker registry v2 / OCI distribution), into and out of the image store.
package distribution

import (
	"context"

	"github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/image"
)

// CONTRACT (used by the API and the engine).

// Config wires a Client. Mirrors stand in for docker.io (daemon.json
// registry-mirrors); Insecure lists registries reached over plain HTTP or
// unverified TLS (daemon.json insecure-registries, "host:port" or CIDR);
// 127.0.0.0/8 and ::1 are always insecure, like Docker.
type Config struct {
	Images        *image.Store
	Mirrors       []string
	Insecure      []string
	MaxConcurrent int // parallel layer transfers; 0 means 3

	// CertsDirs hold per-registry certificates, <dir>/<host[:port]>/
	// (*.crt CAs, *.cert + *.key client pairs); nil means
	// DefaultCertsDirs (/etc/docker/certs.d, /etc/wharf/certs.d).
	CertsDirs []string
	// SecureLoopback stops treating loopback registries as insecure, so
	// that TLS verification against them can be tested.
	SecureLoopback bool
}

type Client struct {
	cfg Config
	ts  *transports
	// forced: mirror hosts whose URL names a scheme.
	forced map[string]string
	hub    string // stands in for docker.io's registry in tests
}

func New(cfg Config) (*Client, error) {
	c := &Client{cfg: cfg, ts: newTransports(cfg.CertsDirs), forced: map[string]string{}}
	for _, m := range cfg.Mirrors {
		if host, scheme := mirrorHost(m); host != "" && scheme != "" {
			c.forced[host] = scheme
		}
	}
	return c, nil
}

// Event is one progress update, rendered by the API as a Docker JSON
// progress message ({"status","id","progressDetail":{"current","total"}}).
type Event struct {
	ID      string // short layer digest (12 hex) or "" for image-level lines
	Status  string // Docker's words: "Pulling fs layer", "Waiting", "Downloading", "Verifying Checksum", "Download complete", "Extracting", "Pull complete", "Already exists", "Pushing", "Pushed", "Layer already exists", "Mounted from x", "Digest: sha256:...", "Status: Downloaded newer image for x", ...
	Current int64
	Total   int64
}

// Progress receives events; it must not block for long.
type Progress func(Event)

type PullOptions struct {
	Platform string // "linux/amd64" default
	AllTags  bool
	Auth     registry.AuthConfig // from the X-Registry-Auth header; zero for anonymous
}

// Pull fetches ref (tag or digest) and registers it; the result is the image
// pulled (the last one with AllTags).
func (c *Client) Pull(ctx context.Context, ref string, opts PullOptions, p Progress) (*image.Image, error) {
	return c.pull(ctx, ref, opts, p)
}

// Push uploads the image tagged ref (all its tags in that repository when
// ref has no tag) and records the repo digest.
func (c *Client) Push(ctx context.Context, ref string, auth registry.AuthConfig, p Progress) error {
	return c.push(ctx, ref, auth, p)
}

// Login checks credentials against the registry (docker.io when
// ServerAddress is empty); returns Docker's status text and an identity token
// if the registry gave one. Wrong credentials: errdefs.Forbidden/NotFound-free
// Docker text "unauthorized: incorrect username or password".
func (c *Client) Login(ctx context.Context, auth registry.AuthConfig) (status, identityToken string, err error) {
	return c.login(ctx, auth)
}

// Search lists repositories of a v2 registry matching term ("host:port/term"
// searches that registry's _catalog).
func (c *Client) Search(ctx context.Context, term string, limit int, auth registry.AuthConfig) ([]registry.SearchResult, error) {
	return c.search(ctx, term, limit, auth)
}
