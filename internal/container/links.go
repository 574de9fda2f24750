package container

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errdefs"
)

// link is one --link: the container linked to and the alias it is known by.
type link struct{ name, alias string }

// parseLinks reads "name:alias" or "name" (Docker's legacy links).
func parseLinks(in []string) ([]link, error) {
	var out []link
	for _, l := range in {
		name, alias, ok := strings.Cut(l, ":")
		name = strings.TrimPrefix(name, "/")
		if !ok {
			alias = name
		}
		// Docker stores "/name:/me/alias"; keep the last element.
		alias = alias[strings.LastIndex(alias, "/")+1:]
		if name == "" || alias == "" {
			return nil, errdefs.Invalid("invalid link format: %s", l)
		}
		out = append(out, link{name, alias})
	}
	return out, nil
}

// validateLinks checks that every linked container exists and does not use
// the host's network, with Docker's errors.
func (s *Service) validateLinks(links []string) error {
	ls, err := parseLinks(links)
	if err != nil {
		return err
	}
	for _, l := range ls {
		child, err := s.lookup(l.name)
		if err != nil {
			return errdefs.Invalid("could not get container for %s: %v", l.name, err)
		}
		s.mu.Lock()
		host := child.HostConfig.NetworkMode.IsHost()
		s.mu.Unlock()
		if host {
			return invalid(errHostNetLinks)
		}
	}
	return nil
}

// normalLinks is HostConfig.Links as Docker shows them: "/name:/me/alias".
func normalLinks(me string, links []string) []string {
	ls, err := parseLinks(links)
	if err != nil {
		return links
	}
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, "/"+l.name+":/"+me+"/"+l.alias)
	}
	return out
}

// linkEnv is Docker's environment for legacy links on the default bridge:
// ALIAS_NAME, ALIAS_PORT and ALIAS_PORT_<port>_<PROTO>[_ADDR|_PORT|_PROTO]
// for each port the linked container exposes, ALIAS_ENV_<var> for its
// environment. Linked containers not running are skipped (start fails on
// them later with Docker's error).
func (s *Service) linkEnv(r *record) []string {
	if s.net == nil || len(r.HostConfig.Links) == 0 || r.HostConfig.NetworkMode.IsUserDefined() {
		return nil
	}
	ls, _ := parseLinks(r.HostConfig.Links)
	var env []string
	for _, l := range ls {
		child, err := s.lookup(l.name)
		if err != nil {
			continue
		}
		ep, ok := s.net.Endpoints(child.ID)["bridge"]
		if !ok || !ep.IPAddress.IsValid() {
			continue
		}
		s.mu.Lock()
		ports := make([]mnet.Port, 0, len(child.Config.ExposedPorts))
		for p := range child.Config.ExposedPorts {
			ports = append(ports, p)
		}
		childEnv := slices.Clone(child.Config.Env)
		s.mu.Unlock()
		env = append(env, linkVars(l.alias, "/"+r.Name+"/"+l.alias, ep.IPAddress.String(), ports, childEnv)...)
	}
	return env
}

// linkVars renders one link's variables.
func linkVars(alias, name, ip string, ports []mnet.Port, childEnv []string) []string {
	prefix := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return c
		}
		return '_'
	}, strings.ToUpper(alias))
	slices.SortFunc(ports, func(a, b mnet.Port) int {
		if a.Num() != b.Num() {
			return int(a.Num()) - int(b.Num())
		}
		return strings.Compare(string(a.Proto()), string(b.Proto()))
	})
	env := []string{prefix + "_NAME=" + name}
	for i, p := range ports {
		proto := string(p.Proto())
		url := fmt.Sprintf("%s://%s:%d", proto, ip, p.Num())
		if i == 0 {
			env = append(env, prefix+"_PORT="+url)
		}
		k := fmt.Sprintf("%s_PORT_%d_%s", prefix, p.Num(), strings.ToUpper(proto))
		env = append(env, k+"="+url, k+"_ADDR="+ip, fmt.Sprintf("%s_PORT=%d", k, p.Num()), k+"_PROTO="+proto)
	}
	for _, kv := range childEnv {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "HOME" || k == "PATH" {
			continue
		}
		env = append(env, prefix+"_ENV_"+k+"="+v)
	}
	return env
}

// withLinkEnv returns cfg with the link variables first (the container's
// own environment wins over them).
func withLinkEnv(cfg *container.Config, env []string) *container.Config {
	if len(env) == 0 {
		return cfg
	}
	own := map[string]bool{}
	for _, kv := range cfg.Env {
		k, _, _ := strings.Cut(kv, "=")
		own[k] = true
	}
	c := *cfg
	c.Env = nil
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); !own[k] {
			c.Env = append(c.Env, kv)
		}
	}
	c.Env = append(c.Env, cfg.Env...)
	return &c
}

// ContainerRemoveLink removes the legacy link named "/parent/alias" (docker
// rm --link): the parent forgets it and, when running, its /etc/hosts
// entry goes; the linked container is untouched.
func (s *Service) ContainerRemoveLink(ctx context.Context, name string) error {
	full := "/" + strings.Trim(name, "/")
	i := strings.LastIndexByte(full, '/')
	if i == 0 {
		return errdefs.Conflict("Conflict, cannot remove the default link name of the container")
	}
	parentRef, alias := full[1:i], full[i+1:]
	parent, err := s.lookup(parentRef)
	if err != nil {
		return errdefs.NotFound("Cannot get parent %s for link name %s", parentRef, full)
	}
	parent.op.Lock()
	defer parent.op.Unlock()
	s.mu.Lock()
	if _, err := s.linkedLocked(parentRef, alias, name); err != nil {
		s.mu.Unlock()
		return err
	}
	ls, _ := parseLinks(parent.HostConfig.Links)
	var keep []string
	for _, l := range ls {
		if l.alias != alias {
			keep = append(keep, l.name+":"+l.alias)
		}
	}
	parent.HostConfig.Links = keep
	running := parent.State.Status == stateRunning
	err = s.save(parent)
	s.mu.Unlock()
	if err == nil && running && s.net != nil {
		err = s.rewriteNetworkFiles(parent, false)
	}
	return err
}
