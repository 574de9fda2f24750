// Package cli holds the wharf commands: thin clients of the Engine API.
package cli

import "fmt"

// Main runs the CLI with args (without the program name) and returns the exit code.
func Main(args []string) int { fmt.Println("cli: not implemented"); return 1 }
