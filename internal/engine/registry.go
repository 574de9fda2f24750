package engine

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/image/archive"
)

// registryConfig checks registry-mirrors and insecure-registries the way
// dockerd does and builds /info's RegistryConfig. Mirrors are normalised to
// "scheme://host/" URLs.
func registryConfig(mirrors, insecure []string) (*registry.ServiceConfig, error) {
	cfg := &registry.ServiceConfig{
		IndexConfigs:          map[string]*registry.IndexInfo{},
		InsecureRegistryCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		Mirrors:               []string{},
	}
	for _, m := range mirrors {
		u, err := url.Parse(m)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("invalid mirror: %q is not a valid URI: must use the http or https scheme", m)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("invalid mirror: path, query, or fragment at end of the URI %q", m)
		}
		cfg.Mirrors = append(cfg.Mirrors, u.Scheme+"://"+u.Host+"/")
	}
	for _, r := range insecure {
		if strings.Contains(r, "://") {
			return nil, fmt.Errorf("insecure registry %s should not contain '://'", r)
		}
		if p, err := netip.ParsePrefix(r); err == nil {
			if !containsPrefix(cfg.InsecureRegistryCIDRs, p) {
				cfg.InsecureRegistryCIDRs = append(cfg.InsecureRegistryCIDRs, p.Masked())
			}
			continue
		}
		if host, _, err := net.SplitHostPort(r); err != nil && strings.Contains(r, ":") && !strings.Contains(r, "]") {
			return nil, fmt.Errorf("insecure registry %s is not valid: %v", r, err)
		} else if err == nil && host == "" {
			return nil, fmt.Errorf("insecure registry %s is not valid: no host", r)
		}
		cfg.IndexConfigs[r] = &registry.IndexInfo{Name: r, Mirrors: []string{}, Secure: false}
	}
	cfg.IndexConfigs["docker.io"] = &registry.IndexInfo{Name: "docker.io", Mirrors: cfg.Mirrors, Secure: true, Official: true}
	return cfg, nil
}

func containsPrefix(ps []netip.Prefix, p netip.Prefix) bool {
	for _, q := range ps {
		if q == p.Masked() {
			return true
		}
	}
	return false
}

// archives gives the API save and load over the image store.
type archives struct{ store *image.Store }

func (a archives) Save(ctx context.Context, refs []string, w io.Writer) error {
	return archive.Save(ctx, a.store, refs, w)
}

func (a archives) Load(ctx context.Context, r io.Reader, report func(string)) error {
	return archive.Load(ctx, a.store, r, report)
}
