// Command wharf is the CLI, the engine (wharf daemon), the supervisor and
// the container init, in one binary. main only picks the role.
package main

import (
	"os"
	"path/filepath"

	"github.com/wharf/wharf/internal/cli"
	"github.com/wharf/wharf/internal/engine"
	"github.com/wharf/wharf/internal/pid1"
	_ "github.com/wharf/wharf/internal/runtime" // registers libcontainer's "init" role
	"github.com/wharf/wharf/internal/supervisor"
)

func main() {
	if filepath.Base(os.Args[0]) == pid1.Name {
		os.Exit(pid1.Main(os.Args[1:]))
	}
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "supervisor":
			os.Exit(supervisor.Main(os.Args[2:]))
		case "daemon":
			os.Exit(engine.Main(os.Args[2:]))
		}
	}
	os.Exit(cli.Main(os.Args[1:]))
}
