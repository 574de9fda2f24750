package layer

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// BenchmarkApply unpacks a ~50 MB layer (25 copies of busybox plus 2,000
// small files) and reports MB/s of uncompressed tar.
func BenchmarkApply(b *testing.B) {
	s, _ := newStore(b)
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		b.Skip("needs busybox-static:", err)
	}
	var ents []ent
	for i := 0; i < 25; i++ {
		ents = append(ents, ent{name: fmt.Sprintf("bin%d/", i), typ: '5'},
			ent{name: fmt.Sprintf("bin%d/busybox", i), body: string(bin), mode: 0o755})
	}
	ents = append(ents, ent{name: "etc/", typ: '5'})
	small := string(bytes.Repeat([]byte("x"), 1024))
	for i := 0; i < 2000; i++ {
		ents = append(ents, ent{name: fmt.Sprintf("etc/f%04d", i), body: small})
	}
	tarb := mkTar(b, ents...)
	b.SetBytes(int64(len(tarb)))
	b.ResetTimer()
	for b.Loop() {
		l, err := s.Apply("", bytes.NewReader(tarb))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Remove(l.ChainID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
