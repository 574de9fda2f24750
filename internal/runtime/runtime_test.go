package runtime

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveStale: a state directory left by a dead supervisor does not
// block a new container with the same id; a live one is kept.
func TestRemoveStale(t *testing.T) {
	r, err := New(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(r.root, "stale"), 0o711); err != nil {
		t.Fatal(err)
	}
	if !r.removeStale("stale") {
		t.Fatal("stale state was not removed")
	}
	if _, err := os.Stat(filepath.Join(r.root, "stale")); !os.IsNotExist(err) {
		t.Errorf("state dir: %v", err)
	}
	if r.removeStale("../etc") {
		t.Error("an invalid id was accepted")
	}
}
