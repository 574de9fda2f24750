package supervisor

import "fmt"

// Main runs the supervisor role: `wharf supervisor --exec-root DIR`.
func Main(args []string) int { fmt.Println("supervisor: not implemented"); return 1 }
