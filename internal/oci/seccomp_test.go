package oci

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSeccompArchitectures(t *testing.T) {
	all := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	for _, tc := range []struct {
		arch string
		want []specs.Arch
	}{
		{"amd64", []specs.Arch{specs.ArchX86_64}},
		{"", []specs.Arch{specs.ArchX86_64}},
		{"386", []specs.Arch{specs.ArchX86_64, specs.ArchX86}},
	} {
		sc := &specs.LinuxSeccomp{Architectures: append([]specs.Arch(nil), all...)}
		seccompArchitectures(sc, tc.arch)
		if len(sc.Architectures) != len(tc.want) {
			t.Fatalf("%q: got %v, want %v", tc.arch, sc.Architectures, tc.want)
		}
		for i := range tc.want {
			if sc.Architectures[i] != tc.want[i] {
				t.Fatalf("%q: got %v, want %v", tc.arch, sc.Architectures, tc.want)
			}
		}
	}
}
