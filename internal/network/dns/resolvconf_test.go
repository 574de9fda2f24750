package dns

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestHostConfigSkipsLoopback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	conf := "search corp.example\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 10.0.0.2\noptions ndots:2\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	up, search, err := HostConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(up, []string{"10.0.0.2:53"}) || !slices.Equal(search, []string{"corp.example"}) {
		t.Errorf("HostConfig = %v %v", up, search)
	}
	os.WriteFile(path, []byte("nameserver 127.0.0.1\n"), 0o644)
	if up, _, _ := HostConfig(path); !slices.Equal(up, defaultUpstreams) {
		t.Errorf("loopback-only host: %v, want the defaults", up)
	}
}
