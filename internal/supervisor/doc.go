// Package supervisor is the long-lived process (one per exec-root) that
// runs containers through internal/runtime and outlives the daemon: it
// holds their stdio (pipes or a pty master), writes their json-file logs,
// fans output out to attachers and keeps exit statuses until Delete.
//
// Memory per running container is kept small: two pump goroutines with
// 8 KiB buffers (one with a pty), no thread blocked per process (exits are
// noticed on SIGCHLD, see reaper.go), no per-container timers.
//
// It is not a child subreaper: containers have their own pid namespace,
// so orphans inside are reaped by the container's init; the container
// inits and exec'd processes are our direct children (libcontainer clones
// them with CLONE_PARENT) and are reaped here.
//
// The engine talks to it with Client (client.go, the contract); the wire
// protocol is in proto.go.
package supervisor
