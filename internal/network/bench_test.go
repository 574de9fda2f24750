package network

import (
	"context"
	"testing"
	"time"
)

// BenchmarkConnectDisconnect is the bridge's share of `run --rm` on the
// default bridge: Connect (address, veth, record) and Disconnect, in a
// scratch host netns, over a ring of 16 container netns (as successive
// containers would be; the veth deletions Disconnect leaves to goroutines
// overlap the next rounds). Reports the latency of each call too.
func BenchmarkConnectDisconnect(b *testing.B) {
	inScratchHost(b)
	s, err := New(Config{Root: b.TempDir(), DNSUpstreams: []string{}})
	must(b, err)
	b.Cleanup(s.Close)
	ring := make([]ctr, 16)
	for i := range ring {
		ring[i] = newCtr(b)
	}
	ctx := context.Background()
	var conn, disc time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := ring[i%len(ring)]
		t0 := time.Now()
		if _, err := s.Connect(ctx, "bridge", c.id, c.path, EndpointOptions{Name: "bench"}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := s.Disconnect(ctx, "bridge", c.id); err != nil {
			b.Fatal(err)
		}
		conn += t1.Sub(t0)
		disc += time.Since(t1)
	}
	s.Close() // the last veths go: part of the cost
	b.ReportMetric(float64(conn.Microseconds())/1000/float64(b.N), "connect-ms")
	b.ReportMetric(float64(disc.Microseconds())/1000/float64(b.N), "disconnect-ms")
}
