package image

import (
	"errors"
	"os"
)

// removeFile removes path; a file already gone is fine.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
