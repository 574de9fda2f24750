package distribution

import (
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/errdefs"
)

// endpoint is one place a repository can be reached: the registry named by
// the reference, or a mirror standing in for docker.io.
type endpoint struct {
	repo   name.Repository
	mirror bool
}

// parseRef applies Docker's normalization ("busybox" ->
// docker.io/library/busybox); tagless references get "latest" unless
// keepBare (all tags).
func parseRef(ref string, keepBare bool) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, errdefs.Invalid("invalid reference format: %v", err)
	}
	if !keepBare {
		named = reference.TagNameOnly(named)
	}
	return named, nil
}

// endpoints lists where to look for named: mirrors first for docker.io.
func (c *Client) endpoints(named reference.Named) ([]endpoint, error) {
	domain := reference.Domain(named)
	var eps []endpoint
	if domain == "docker.io" {
		for _, m := range c.cfg.Mirrors {
			host, scheme := mirrorHost(m)
			if host == "" {
				continue
			}
			repo, err := c.repository(host, reference.Path(named), scheme == "http")
			if err != nil {
				continue
			}
			eps = append(eps, endpoint{repo: repo, mirror: true})
		}
	}
	host := domain
	if domain == "docker.io" && c.hub != "" {
		host = c.hub
	}
	repo, err := c.repository(host, reference.Path(named), false)
	if err != nil {
		return nil, err
	}
	return append(eps, endpoint{repo: repo}), nil
}

func (c *Client) repository(host, path string, insecure bool) (name.Repository, error) {
	var opts []name.Option
	if insecure || c.insecure(host) {
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(host+"/"+path, opts...)
	if err != nil {
		return name.Repository{}, errdefs.Invalid("invalid reference format: %v", err)
	}
	return repo, nil
}

// mirrorHost turns a registry-mirrors entry ("https://m.example",
// "http://127.0.0.1:5001", "m.example:5000") into a host and the scheme
// its URL names ("" for none).
func mirrorHost(m string) (host, scheme string) {
	if !strings.Contains(m, "://") {
		return strings.TrimSuffix(m, "/"), ""
	}
	u, err := url.Parse(m)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", ""
	}
	return u.Host, u.Scheme
}

// insecure reports whether host ("h", "h:port") may be reached over plain
// HTTP or unverified TLS: loopback always, then Config.Insecure entries
// matched by name or CIDR, like Docker.
func (c *Client) insecure(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" && !c.cfg.SecureLoopback {
		return true
	}
	ips := []net.IP{net.ParseIP(h)}
	if ips[0] == nil {
		ips = nil
	}
	if len(ips) == 1 && ips[0].IsLoopback() && !c.cfg.SecureLoopback {
		return true
	}
	looked := false
	for _, e := range c.cfg.Insecure {
		if e == host || e == h {
			return true
		}
		_, cidr, err := net.ParseCIDR(e)
		if err != nil {
			continue
		}
		if ips == nil && !looked {
			looked = true
			addrs, _ := net.LookupIP(h)
			ips = addrs
		}
		for _, ip := range ips {
			if cidr.Contains(ip) {
				return true
			}
		}
	}
	return false
}

// transport carries the requests of one operation on repo's registry:
// the scheme and TLS settings Docker would use (see registryRT).
func (c *Client) transport(repo name.Repository) http.RoundTripper {
	host := repo.RegistryStr()
	return &registryRT{
		ts:       c.ts,
		host:     host,
		view:     repo.Scheme(),
		force:    c.forced[host],
		insecure: c.insecure(host),
		others:   c.insecure,
	}
}

// remoteOptions are the ggcr options of one call.
func (c *Client) remoteOptions(repo name.Repository, auth registry.AuthConfig) []remote.Option {
	return []remote.Option{
		remote.WithTransport(c.transport(repo)),
		remote.WithAuth(authenticator(auth)),
		remote.WithJobs(c.jobs()),
		remote.WithRetryBackoff(remote.Backoff{Duration: 100 * time.Millisecond, Factor: 3, Jitter: 0.1, Steps: 3}),
		remote.WithUserAgent("wharf"),
	}
}

func (c *Client) jobs() int {
	if c.cfg.MaxConcurrent > 0 {
		return c.cfg.MaxConcurrent
	}
	return 3
}

// credentials is an authn.Authenticator over Docker's AuthConfig: a
// registry token is used as bearer, an identity token as refresh token,
// else basic (Username/Password or the encoded Auth field).
type credentials struct{ a registry.AuthConfig }

func authenticator(a registry.AuthConfig) authn.Authenticator {
	if a == (registry.AuthConfig{}) {
		return authn.Anonymous
	}
	return credentials{a}
}

func (c credentials) Authorization() (*authn.AuthConfig, error) {
	a := c.a
	out := &authn.AuthConfig{Username: a.Username, Password: a.Password}
	switch {
	case a.RegistryToken != "":
		return &authn.AuthConfig{RegistryToken: a.RegistryToken}, nil
	case a.IdentityToken != "":
		out.IdentityToken = a.IdentityToken
	case a.Username == "" && a.Auth != "":
		b, err := base64.StdEncoding.DecodeString(a.Auth)
		if err != nil {
			return nil, errdefs.Invalid("invalid auth field: %v", err)
		}
		user, pass, _ := strings.Cut(string(b), ":")
		out.Username, out.Password = user, pass
	}
	return out, nil
}

func hasSecret(a registry.AuthConfig) bool {
	return a.Password != "" || a.Auth != "" || a.IdentityToken != "" || a.RegistryToken != ""
}
