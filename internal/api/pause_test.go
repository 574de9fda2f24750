package api

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/wharf/wharf/internal/errdefs"
)

// pausingBackend adds the pause ability to the fake backend.
type pausingBackend struct{ *fakeBackend }

func (p pausingBackend) ContainerPause(ctx context.Context, ref string) error {
	p.record("pause " + ref)
	if ref == "paused" {
		return errdefs.Conflict("Container %s is already paused", ref)
	}
	return nil
}

func (p pausingBackend) ContainerUnpause(ctx context.Context, ref string) error {
	p.record("unpause " + ref)
	if ref == "nosuch" {
		return errdefs.NotFound("No such container: %s", ref)
	}
	return nil
}

func TestPauseRoutes(t *testing.T) {
	srv, _, _ := newTestServer(t) // no pause ability: 501
	if r := call(t, srv, "POST", "/containers/abc/pause", ""); r.code != 501 {
		t.Errorf("pause without the ability: %d %s", r.code, r.body)
	}
	b := &fakeBackend{}
	srv2 := httptest.NewServer(New(Config{Containers: pausingBackend{b}, Exec: b, Images: &fakeImages{}}))
	t.Cleanup(srv2.Close)
	for _, tc := range []struct {
		path string
		code int
		call string
	}{
		{"/v1.41/containers/abc/pause", 204, "pause abc"},
		{"/containers/abc/unpause", 204, "unpause abc"},
		{"/containers/paused/pause", 409, "pause paused"},
		{"/containers/nosuch/unpause", 404, "unpause nosuch"},
	} {
		b.calls = nil
		r := call(t, srv2, "POST", tc.path, "")
		if r.code != tc.code || len(b.calls) != 1 || b.calls[0] != tc.call {
			t.Errorf("%s: %d %s, calls %q", tc.path, r.code, r.body, b.calls)
		}
		if tc.code == 409 && message(t, r) != "Container paused is already paused" {
			t.Errorf("%s: message %q", tc.path, message(t, r))
		}
	}
}
