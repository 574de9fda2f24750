package network

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/wharf/wharf/internal/errdefs"
)

// upstream answers every A question with 192.0.2.7 on a loopback port of
// the real host (started off the test's scratch-netns thread), as a
// container's --dns server would.
func upstream(t *testing.T) string {
	t.Helper()
	type res struct {
		pc  net.PacketConn
		err error
	}
	ch := make(chan res)
	go func() { // a new goroutine runs on a thread of the daemon's (here: the host's) namespace
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		ch <- res{pc, err}
	}()
	r := <-ch
	must(t, r.err)
	srv := &dns.Server{PacketConn: r.pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if q.Question[0].Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA,
				Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 7)})
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return r.pc.LocalAddr().String()
}

func TestDNSUpstreams(t *testing.T) {
	inScratchHost(t)
	ctx := context.Background()
	root := t.TempDir()
	s := openService(t, root)
	_, err := s.Create(ctx, "n", CreateOptions{})
	must(t, err)
	up := upstream(t)
	mine, other := newCtr(t), newCtr(t)
	_, err = s.Connect(ctx, "n", mine.id, mine.path, EndpointOptions{Name: "mine", DNSUpstreams: []string{up}})
	must(t, err)
	connect(t, s, "n", other, "other")
	if _, err := s.Connect(ctx, "n", newCtr(t).id, "/nonexistent", EndpointOptions{DNSUpstreams: []string{"not-an-ip"}}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("--dns not-an-ip: %v", err)
	}

	lookup := func(c ctr) string {
		out, _ := c.run("nslookup", "example.test", ResolverIP)
		return out
	}
	if out := lookup(mine); !strings.Contains(out, "192.0.2.7") {
		t.Fatalf("container with --dns %s: its lookup was not forwarded there:\n%s", up, out)
	}
	if out := lookup(other); strings.Contains(out, "192.0.2.7") {
		t.Fatalf("container without --dns reached another's upstream:\n%s", out)
	}
	if out, err := mine.run("nslookup", "other", ResolverIP); err != nil || !strings.Contains(out, "Address") {
		t.Fatalf("names of the network with --dns set: %v\n%s", err, out)
	}

	// A restarted daemon reopens the resolver with the same upstreams.
	s.Close()
	s2 := openService(t, root)
	must(t, s2.Reconcile(ctx, map[string]string{mine.id: mine.path, other.id: other.path}))
	if out := lookup(mine); !strings.Contains(out, "192.0.2.7") {
		t.Fatalf("after restart: not forwarded to --dns:\n%s", out)
	}
	must(t, s2.Disconnect(ctx, "n", mine.id))
	must(t, s2.Disconnect(ctx, "n", other.id))
	must(t, s2.Remove("n"))
}

func TestUpstreamAddrs(t *testing.T) {
	got, err := upstreamAddrs([]string{"8.8.8.8", "10.0.0.1:5353", "2001:db8::1", "[2001:db8::2]:54"})
	must(t, err)
	want := "8.8.8.8:53 10.0.0.1:5353 [2001:db8::1]:53 [2001:db8::2]:54"
	if strings.Join(got, " ") != want {
		t.Fatalf("upstreamAddrs = %v, want %s", got, want)
	}
}
