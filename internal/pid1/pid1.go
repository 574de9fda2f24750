// Package pid1 is the small init that --init puts in a container as PID 1:
// it starts the command, forwards signals to it and reaps zombies.
package pid1

import "fmt"

// Name is the basename under which the binary acts as init
// (bind-mounted at /sbin/wharf-init in the container).
const Name = "wharf-init"

// Main runs args[0:] as the child and exits with its status.
func Main(args []string) int { fmt.Println("wharf-init: not implemented"); return 127 }
