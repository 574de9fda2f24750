// Package engine is the daemon's composition root: it wires the stores and
// services, owns start-up, recovery and shutdown.
package engine

import "fmt"

// Main runs `wharf daemon [flags]`.
func Main(args []string) int { fmt.Println("daemon: not implemented"); return 1 }
