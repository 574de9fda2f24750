package cli

import (
	"context"
	"os"

	"github.com/moby/moby/client"
)

// DefaultHost is where the wharf daemon listens unless told otherwise.
const DefaultHost = "unix:///run/wharf/wharf.sock"

type apiClient = *client.Client

// host picks the daemon address: -H, then WHARF_HOST, then the default socket.
func (c *CLI) host() string {
	if c.Host != "" {
		return c.Host
	}
	if h := os.Getenv("WHARF_HOST"); h != "" {
		return h
	}
	return DefaultHost
}

// client connects lazily, so that flag errors never need a daemon.
func (c *CLI) client() (*client.Client, error) {
	if c.api != nil {
		return c.api, nil
	}
	api, err := client.New(client.WithHost(c.host()), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, err
	}
	c.api = api
	return api, nil
}

func ctx() context.Context { return context.Background() }
