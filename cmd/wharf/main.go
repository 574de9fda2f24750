package main

import (
	_ "github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/specconv"
	_ "github.com/moby/moby/client"
	_ "github.com/moby/moby/api/types/container"
	_ "github.com/spf13/cobra"
	_ "github.com/creack/pty"
	_ "github.com/moby/term"
	_ "github.com/moby/profiles/seccomp"
)

func main() {}
