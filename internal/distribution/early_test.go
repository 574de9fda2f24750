package distribution

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/testenv"
)

// closedAddr is a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A pull that fails on the manifest (unknown tag, no credentials, dead
// registry) must fail before its first progress event, so that the API
// can still answer with a plain HTTP error and its status code.
func TestPullErrorsBeforeProgress(t *testing.T) {
	mem := newMemRegistry(t)
	putImage(t, mem.host()+"/test/there:1", randomImage(t, 1, amd64))
	auth := testenv.StartRegistry(t, testenv.WithHtpasswd("alice", "s3cret"))
	c := newClient(t, Config{})
	cases := []struct {
		ref  string
		kind error
	}{
		{mem.host() + "/test/there:404", errdefs.ErrNotFound},
		{closedAddr(t) + "/test/x:1", errdefs.ErrUnavailable},
		{auth.Addr() + "/private/x:1", errdefs.ErrForbidden},
	}
	for _, tc := range cases {
		var ev events
		_, err := c.Pull(context.Background(), tc.ref, PullOptions{}, ev.progress)
		if !errors.Is(err, tc.kind) {
			t.Errorf("pull %s: %v, want kind %v", tc.ref, err, tc.kind)
		}
		if len(ev.all) != 0 {
			t.Errorf("pull %s: events before the error: %+v", tc.ref, ev.all)
		}
	}
	var ev events
	if _, err := c.Pull(context.Background(), mem.host()+"/test/there:1", PullOptions{}, ev.progress); err != nil {
		t.Fatal(err)
	}
	if len(ev.all) == 0 || ev.all[0].Status != "Pulling from test/there" || ev.all[0].ID != "1" {
		t.Fatalf("first event of a good pull: %+v", ev.all)
	}
}
