package container

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api"
)

// TestListLinkNames: a container that others link to (legacy links) is
// also listed under "/parent/alias", as dockerd does (moby's
// TestLinksContainerNames); links on user networks are DNS aliases only.
func TestListLinkNames(t *testing.T) {
	s := &Service{byID: map[string]*record{}, names: map[string]string{}}
	add := func(id, name string, mode container.NetworkMode, links ...string) {
		r := newRecord(id)
		r.Name, r.Created = name, time.Now()
		r.Config = &container.Config{}
		r.HostConfig = &container.HostConfig{NetworkMode: mode, Links: links}
		r.State.Status = stateExited
		s.byID[id], s.names[name] = r, id
	}
	add("aaaa", "first", "bridge")
	add("bbbb", "second", "bridge", "first:first")
	add("cccc", "third", "", "first:db")
	add("dddd", "fourth", "mynet", "first:other")
	list, err := s.ContainerList(context.Background(), api.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		want := map[string][]string{"aaaa": {"/first", "/second/first", "/third/db"}, "bbbb": {"/second"},
			"cccc": {"/third"}, "dddd": {"/fourth"}}[c.ID]
		if !slices.Equal(c.Names, want) {
			t.Errorf("%s: names %q, want %q", c.ID, c.Names, want)
		}
	}
}
