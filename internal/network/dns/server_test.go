package dns

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startServer serves reg for network "mynet" on 127.0.0.1 random ports,
// UDP and TCP on the same port number when possible, and returns the
// UDP and TCP addresses.
func startServer(t testing.TB, reg *Registry, upstreams []string) (udpAddr, tcpAddr string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	if upstreams == nil {
		upstreams = []string{}
	}
	s, err := NewServer(reg, Config{Networks: []string{"mynet"}, Upstreams: upstreams, SearchDomains: []string{"corp.example"}, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(pc, ln) }()
	t.Cleanup(func() {
		s.Shutdown()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return pc.LocalAddr().String(), ln.Addr().String()
}

// fakeUpstream answers every A question with 192.0.2.1 and counts them.
func fakeUpstream(t testing.TB) (addr string, queries chan string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	queries = make(chan string, 100)
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		queries <- r.Question[0].Name
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = append(m.Answer, &dns.A{Hdr: header(r.Question[0].Name, dns.TypeA), A: net.IPv4(192, 0, 2, 1)})
		w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String(), queries
}

func query(t testing.TB, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	return r
}

func addrs(m *dns.Msg) []netip.Addr {
	var out []netip.Addr
	for _, rr := range m.Answer {
		if a, ok := rr.(*dns.A); ok {
			ip, _ := netip.AddrFromSlice(a.A.To4())
			out = append(out, ip)
		}
	}
	return out
}

func TestServerAnswersNames(t *testing.T) {
	reg := NewRegistry()
	reg.Add("mynet", idA, "web", []string{"frontend"}, ipA)
	udp, tcp := startServer(t, reg, nil)

	for _, name := range []string{"web.", "WEB.", "frontend.", idA[:12] + ".", "web.mynet.", "web.corp.example."} {
		r := query(t, "udp", udp, name, dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || !slices.Equal(addrs(r), []netip.Addr{ipA}) || !r.Authoritative {
			t.Errorf("A %s = %s %v aa=%v, want %v", name, dns.RcodeToString[r.Rcode], addrs(r), r.Authoritative, ipA)
		}
	}
	// AAAA of a known name is NODATA, so clients fall back to the A answer.
	r := query(t, "udp", udp, "web.", dns.TypeAAAA)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Errorf("AAAA web = %s %v, want NOERROR, no answers", dns.RcodeToString[r.Rcode], r.Answer)
	}
	// Reverse lookup of a container address.
	r = query(t, "udp", udp, "2.0.18.172.in-addr.arpa.", dns.TypePTR)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.PTR).Ptr != "web.mynet." {
		t.Errorf("PTR = %v, want web.mynet.", r.Answer)
	}
	// TCP answers the same.
	r = query(t, "tcp", tcp, "web.", dns.TypeA)
	if !slices.Equal(addrs(r), []netip.Addr{ipA}) {
		t.Errorf("A web over TCP = %v", addrs(r))
	}
}

func TestServerAliasRoundRobin(t *testing.T) {
	reg := NewRegistry()
	reg.Add("mynet", idA, "app-1", []string{"app"}, ipA)
	reg.Add("mynet", idB, "app-2", []string{"app"}, ipB)
	reg.Add("mynet", idC, "app-3", []string{"app"}, ipC)
	udp, _ := startServer(t, reg, nil)

	firsts := map[netip.Addr]int{}
	for range 6 {
		got := addrs(query(t, "udp", udp, "app.", dns.TypeA))
		if len(got) != 3 {
			t.Fatalf("A app = %v, want 3 addresses", got)
		}
		firsts[got[0]]++
	}
	if len(firsts) != 3 {
		t.Errorf("first answers over 6 queries: %v, want every container first in turn", firsts)
	}
}

func TestServerNXDomainVsForward(t *testing.T) {
	up, queries := fakeUpstream(t)
	reg := NewRegistry()
	reg.Add("mynet", idA, "web", nil, ipA)
	udp, _ := startServer(t, reg, []string{up})

	// Names in our domain never leave the server.
	for _, name := range []string{"db.", "db.mynet."} {
		r := query(t, "udp", udp, name, dns.TypeA)
		if r.Rcode != dns.RcodeNameError {
			t.Errorf("A %s = %s, want NXDOMAIN", name, dns.RcodeToString[r.Rcode])
		}
	}
	// Other names go to the upstream.
	r := query(t, "udp", udp, "example.org.", dns.TypeA)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.0.2.1" {
		t.Errorf("forwarded A example.org = %s %v", dns.RcodeToString[r.Rcode], r.Answer)
	}
	// Unknown name under a search domain: could be real, so forwarded.
	query(t, "udp", udp, "db.corp.example.", dns.TypeA)
	var got []string
	for len(queries) > 0 {
		got = append(got, <-queries)
	}
	sort.Strings(got)
	if want := []string{"db.corp.example.", "example.org."}; !slices.Equal(got, want) {
		t.Errorf("upstream saw %v, want %v", got, want)
	}
}

func TestServerForwardOverTCPAndFailure(t *testing.T) {
	// A TCP upstream: the server forwards TCP questions over TCP.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = append(m.Answer, &dns.A{Hdr: header(r.Question[0].Name, dns.TypeA), A: net.IPv4(192, 0, 2, 7)})
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	_, tcp := startServer(t, NewRegistry(), []string{ln.Addr().String()})
	r := query(t, "tcp", tcp, "example.org.", dns.TypeA)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.0.2.7" {
		t.Errorf("TCP forward = %s %v", dns.RcodeToString[r.Rcode], r.Answer)
	}

	// An upstream that never answers: SERVFAIL after the timeout.
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dead.Close() })
	udp, _ := startServer(t, NewRegistry(), []string{dead.LocalAddr().String()})
	start := time.Now()
	r = query(t, "udp", udp, "example.org.", dns.TypeA)
	if r.Rcode != dns.RcodeServerFailure {
		t.Errorf("dead upstream = %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("SERVFAIL took %v, timeout is 300ms", d)
	}
}

func TestServerTruncatesLargeAnswers(t *testing.T) {
	reg := NewRegistry()
	const n = 60 // 60 A records (~16 bytes each compressed) exceed 512 bytes
	for i := range n {
		reg.Add("mynet", fmt.Sprintf("%064x", i), fmt.Sprintf("w-%d", i), []string{"big"}, netip.AddrFrom4([4]byte{172, 18, 1, byte(i)}))
	}
	udp, tcp := startServer(t, reg, nil)

	r := query(t, "udp", udp, "big.", dns.TypeA)
	if !r.Truncated || len(r.Answer) >= n {
		t.Errorf("UDP answer: TC=%v with %d records, want TC and fewer than %d", r.Truncated, len(r.Answer), n)
	}
	r.Compress = true // as it came on the wire
	if size := r.Len(); size > dns.MinMsgSize {
		t.Errorf("UDP answer is %d bytes, over 512", size)
	}
	// Over TCP the whole set arrives (what a client does after TC).
	r = query(t, "tcp", tcp, "big.", dns.TypeA)
	if r.Truncated || len(r.Answer) != n {
		t.Errorf("TCP answer: TC=%v with %d records, want all %d", r.Truncated, len(r.Answer), n)
	}
	// A client advertising a large EDNS0 buffer gets it all over UDP.
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion("big.", dns.TypeA)
	m.SetEdns0(4096, false)
	r, _, err := c.Exchange(m, udp)
	if err != nil {
		t.Fatal(err)
	}
	if r.Truncated || len(r.Answer) != n {
		t.Errorf("EDNS0 4096 answer: TC=%v with %d records, want all %d", r.Truncated, len(r.Answer), n)
	}
}

// A server shut down right after Start (before its goroutines ran) has
// released its port when Shutdown returns: the same address binds again.
func TestShutdownRightAfterStartFreesPort(t *testing.T) {
	reg := NewRegistry()
	addr := "127.0.0.1:0"
	for i := range 200 {
		pc, err := net.ListenPacket("udp4", addr)
		if err != nil {
			t.Fatalf("round %d: bind %s: %v", i, addr, err)
		}
		ln, err := net.Listen("tcp4", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			t.Fatalf("round %d: bind tcp %s: %v", i, pc.LocalAddr(), err)
		}
		addr = pc.LocalAddr().String()
		s, err := NewServer(reg, Config{Upstreams: []string{}})
		if err != nil {
			t.Fatal(err)
		}
		done := s.Start(pc, ln)
		s.Shutdown()
		if err := <-done; err != nil {
			t.Fatalf("round %d: Serve: %v", i, err)
		}
	}
}
