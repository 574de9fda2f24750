//go:build !seccomp

package runtime

// SeccompSupported says whether seccomp filters are applied (built with the
// "seccomp" tag); without it, specs' seccomp sections are dropped.
func SeccompSupported() bool { return false }
