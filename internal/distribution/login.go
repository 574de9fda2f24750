package distribution

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/errdefs"
)

// registryHost turns a login server address ("", "https://index.docker.io/v1/",
// "localhost:5000", "http://h:5000/") into a ggcr registry.
func (c *Client) registryHost(addr string) (name.Registry, error) {
	host := addr
	if strings.Contains(host, "://") {
		u, err := url.Parse(host)
		if err != nil {
			return name.Registry{}, errdefs.Invalid("invalid registry address %q: %v", addr, err)
		}
		host = u.Host
	}
	host, _, _ = strings.Cut(host, "/")
	switch host {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io":
		host = name.DefaultRegistry
	}
	var opts []name.Option
	if c.insecure(host) || strings.HasPrefix(addr, "http://") {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return name.Registry{}, errdefs.Invalid("invalid registry address %q: %v", addr, err)
	}
	return reg, nil
}

func (c *Client) login(ctx context.Context, auth registry.AuthConfig) (string, string, error) {
	reg, err := c.registryHost(auth.ServerAddress)
	if err != nil {
		return "", "", err
	}
	rt := c.transport(reg.Repo(""))
	tr, err := transport.NewWithContext(ctx, reg, authenticator(auth), rt, nil)
	if err != nil {
		return "", "", loginError(err, auth)
	}
	v2 := reg.Scheme() + "://" + reg.RegistryStr() + "/v2/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v2, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", "", loginError(err, auth)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized && hasSecret(auth) {
		// Docker's words for credentials a registry refuses at /v2/.
		return "", "", errdefs.Forbidden("login attempt to %s failed with status: 401 Unauthorized", v2)
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return "", "", loginError(err, auth)
	}
	return "Login Succeeded", "", nil
}

func loginError(err error, auth registry.AuthConfig) error {
	err = registryError(err, nil, true)
	if errors.Is(err, errdefs.ErrForbidden) && !hasSecret(auth) {
		return errdefs.Forbidden("unauthorized: authentication required")
	}
	return err
}

func (c *Client) search(ctx context.Context, term string, limit int, auth registry.AuthConfig) ([]registry.SearchResult, error) {
	if limit <= 0 {
		limit = 25
	}
	host, what, found := strings.Cut(term, "/")
	if !found || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		host, what = "", term
	}
	if host == "" || host == "docker.io" {
		return c.searchHub(ctx, what, limit)
	}
	reg, err := c.registryHost(host)
	if err != nil {
		return nil, err
	}
	opts := append(c.remoteOptions(reg.Repo(""), auth), remote.WithContext(ctx))
	repos, err := remote.Catalog(ctx, reg, opts...)
	if err != nil {
		return nil, registryError(err, nil, hasSecret(auth))
	}
	var out []registry.SearchResult
	for _, r := range repos {
		if !strings.Contains(r, what) {
			continue
		}
		out = append(out, registry.SearchResult{Name: host + "/" + r})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// searchHub uses Docker Hub's v1 search API.
func (c *Client) searchHub(ctx context.Context, term string, limit int) ([]registry.SearchResult, error) {
	u := "https://index.docker.io/v1/search?q=" + url.QueryEscape(term) + "&n=" + strconv.Itoa(limit)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	rt, err := c.ts.get("index.docker.io", false)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, registryError(err, nil, false)
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return nil, registryError(err, nil, false)
	}
	var res registry.SearchResults
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, errdefs.Unavailable("search: invalid answer from Docker Hub: %v", err)
	}
	if len(res.Results) > limit {
		res.Results = res.Results[:limit]
	}
	return res.Results, nil
}
