package dns

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// BenchmarkLookupUDP measures one A query by name over loopback UDP, the
// path a container's resolver takes, and reports the median in µs.
func BenchmarkLookupUDP(b *testing.B) {
	reg := NewRegistry()
	for i := range 100 {
		reg.Add("mynet", fmt.Sprintf("%064x", i), fmt.Sprintf("c%d", i), []string{"svc"}, netip.AddrFrom4([4]byte{172, 18, 0, byte(i + 2)}))
	}
	udp, _ := startServer(b, reg, nil)
	conn, err := net.Dial("udp", udp)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	c := &dns.Client{Net: "udp", Timeout: time.Second}
	m := new(dns.Msg)
	m.SetQuestion("c42.", dns.TypeA)
	co := &dns.Conn{Conn: conn}
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		r, _, err := c.ExchangeWithConn(m, co)
		if err != nil || len(r.Answer) != 1 {
			b.Fatalf("query: %v %v", err, r)
		}
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds())/1e3, "median-µs")
}

// BenchmarkResolve is the registry alone, as the server calls it.
func BenchmarkResolve(b *testing.B) {
	reg := NewRegistry()
	for i := range 100 {
		reg.Add("mynet", fmt.Sprintf("%064x", i), fmt.Sprintf("c%d", i), []string{"svc"}, netip.AddrFrom4([4]byte{172, 18, 0, byte(i + 2)}))
	}
	var buf [8]netip.Addr
	b.ReportAllocs()
	for range b.N {
		if len(reg.appendResolve(buf[:0], "mynet", "c42")) != 1 {
			b.Fatal("not found")
		}
	}
}

// BenchmarkServeDNS is the handler alone (no sockets, no client), to keep
// the server's own per-query allocations in view.
func BenchmarkServeDNS(b *testing.B) {
	reg := NewRegistry()
	reg.Add("mynet", idA, "web", nil, ipA)
	s, err := NewServer(reg, Config{Networks: []string{"mynet"}, Upstreams: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	req := new(dns.Msg)
	req.SetQuestion("web.", dns.TypeA)
	w := &discardWriter{}
	b.ReportAllocs()
	for range b.N {
		s.ServeDNS(w, req)
	}
}

type discardWriter struct{ dns.ResponseWriter }

func (*discardWriter) RemoteAddr() net.Addr    { return &net.UDPAddr{} }
func (*discardWriter) WriteMsg(*dns.Msg) error { return nil }
