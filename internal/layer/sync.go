package layer

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncDir flushes the filesystem holding dir, so that a layer renamed into
// place after it survives a power loss with its content.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
