package dns

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// ttl is the lifetime of our answers, Docker's value. Containers' stub
// resolvers do not cache, so round-robin still rotates per lookup.
const ttl = 600

// Config says which names a Server answers and where it forwards the rest.
type Config struct {
	// Networks whose records the server answers, searched in order (a
	// container on several networks sees all of them). SetNetworks
	// changes them on connect and disconnect.
	Networks []string
	// Upstreams are "host:port" resolvers for every other name. Nil
	// means the host's, from HostConfig("/etc/resolv.conf").
	Upstreams []string
	// SearchDomains are stripped from questions before lookup, so that
	// "web" resolves whether the client sends "web." or "web.<search>."
	// whatever its ndots.
	SearchDomains []string
	// Timeout bounds one exchange with one upstream; default 2s.
	Timeout time.Duration
}

// Server answers DNS questions on a network from a Registry.
type Server struct {
	reg       *Registry
	networks  atomic.Pointer[[]string]
	upstreams []string
	search    []string
	udp, tcp  *dns.Client

	mu      sync.Mutex
	servers []*dns.Server
	closed  bool
}

// NewServer returns a server answering from reg. It reads the host's
// resolv.conf when cfg names no upstreams.
func NewServer(reg *Registry, cfg Config) (*Server, error) {
	s := &Server{reg: reg, upstreams: cfg.Upstreams}
	if s.upstreams == nil {
		up, search, err := HostConfig("/etc/resolv.conf")
		if err != nil {
			return nil, err
		}
		s.upstreams = up
		if cfg.SearchDomains == nil {
			cfg.SearchDomains = search
		}
	}
	for _, d := range cfg.SearchDomains {
		if d = normalize(d); d != "" {
			s.search = append(s.search, "."+d)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	s.udp = &dns.Client{Net: "udp", Timeout: cfg.Timeout}
	s.tcp = &dns.Client{Net: "tcp", Timeout: cfg.Timeout}
	s.SetNetworks(cfg.Networks...)
	return s, nil
}

// SetNetworks replaces the networks the server answers for.
func (s *Server) SetNetworks(networks ...string) {
	nets := append([]string(nil), networks...)
	s.networks.Store(&nets)
}

// Serve answers on conn (UDP) and ln (TCP) until Shutdown; either may be
// nil. The caller opens them where it wants, e.g. 127.0.0.11:53 inside a
// container's network namespace. Serve closes both.
func (s *Server) Serve(conn net.PacketConn, ln net.Listener) error {
	return <-s.Start(conn, ln)
}

// Start is Serve in the background; the channel gets Serve's result. The
// sockets are registered before Start returns, so a Shutdown right after
// still closes them before it returns (a server stopped before its
// goroutine ran kept 127.0.0.11:53 bound, and the container's next
// connect failed with "address already in use").
func (s *Server) Start(conn net.PacketConn, ln net.Listener) <-chan error {
	done := make(chan error, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		if conn != nil {
			conn.Close()
		}
		if ln != nil {
			ln.Close()
		}
		done <- errors.New("dns server is shut down")
		return done
	}
	var srvs []*dns.Server
	if conn != nil {
		srvs = append(srvs, &dns.Server{PacketConn: conn, Handler: s})
	}
	if ln != nil {
		srvs = append(srvs, &dns.Server{Listener: ln, Handler: s})
	}
	s.servers = append(s.servers, srvs...)
	s.mu.Unlock()

	errs := make(chan error, len(srvs))
	for _, srv := range srvs {
		go func() { errs <- srv.ActivateAndServe() }()
	}
	go func() {
		var first error
		for range srvs {
			if err := <-errs; err != nil && first == nil {
				first = err
				s.Shutdown() // one transport failed: stop the other too
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			first = nil
		}
		done <- first
	}()
	return done
}

// Shutdown stops Serve and closes its sockets.
func (s *Server) Shutdown() {
	s.mu.Lock()
	s.closed = true
	srvs := s.servers
	s.servers = nil
	s.mu.Unlock()
	for _, srv := range srvs {
		if srv.Shutdown() != nil {
			// Not started yet: closing makes ActivateAndServe fail at once.
			if srv.PacketConn != nil {
				srv.PacketConn.Close()
			}
			if srv.Listener != nil {
				srv.Listener.Close()
			}
		}
	}
}

// ServeDNS answers one question: ours from the registry, others upstream.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	if req.Opcode != dns.OpcodeQuery || len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeNotImplemented)
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	if q.Qclass == dns.ClassINET {
		if m := s.answerLocal(req, q); m != nil {
			s.write(w, req, m)
			return
		}
	}
	s.forward(w, req)
}

// answerLocal returns our reply for q, or nil when q is not ours.
func (s *Server) answerLocal(req *dns.Msg, q dns.Question) *dns.Msg {
	nets := *s.networks.Load()
	if q.Qtype == dns.TypePTR {
		ip, ok := reverseIPv4(q.Name)
		if !ok {
			return nil
		}
		for _, n := range nets {
			if name, ok := s.reg.ResolveAddr(n, ip); ok {
				m := reply(req)
				m.Answer = append(m.Answer, &dns.PTR{Hdr: header(q.Name, dns.TypePTR), Ptr: dns.Fqdn(name)})
				return m
			}
		}
		return nil
	}

	name, known := s.lookupName(nets, q.Name)
	if !known {
		if s.inOurDomain(nets, q) {
			m := reply(req)
			m.Rcode = dns.RcodeNameError
			return m
		}
		return nil
	}
	m := reply(req)
	if q.Qtype != dns.TypeA {
		return m // NODATA: the name exists, with IPv4 addresses only
	}
	var buf [8]netip.Addr
	for _, n := range nets {
		ips := s.reg.appendResolve(buf[:0], n, name)
		if len(ips) == 0 {
			continue
		}
		for _, ip := range ips {
			m.Answer = append(m.Answer, &dns.A{Hdr: header(q.Name, dns.TypeA), A: ip.AsSlice()})
		}
		break
	}
	return m
}

// lookupName finds the registered form of qname on any network, trying it
// as asked and with each search domain removed.
func (s *Server) lookupName(nets []string, qname string) (string, bool) {
	name := normalize(qname)
	for _, n := range nets {
		if s.reg.Known(n, name) {
			return name, true
		}
	}
	for _, d := range s.search {
		base, ok := strings.CutSuffix(name, d)
		if !ok || base == "" {
			continue
		}
		for _, n := range nets {
			if s.reg.Known(n, base) {
				return base, true
			}
		}
	}
	return "", false
}

// inOurDomain reports names no upstream can know: single-label address
// questions and anything under ".<network>". Those get NXDOMAIN here
// instead of leaking to the host's resolvers.
func (s *Server) inOurDomain(nets []string, q dns.Question) bool {
	name := normalize(q.Name)
	if (q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA) && name != "" && !strings.Contains(name, ".") {
		return true
	}
	for _, n := range nets {
		if strings.HasSuffix(name, "."+strings.ToLower(n)) {
			return true
		}
	}
	return false
}

// forward relays req to the upstreams in turn, over the client's transport.
func (s *Server) forward(w dns.ResponseWriter, req *dns.Msg) {
	client := s.udp
	if isTCP(w) {
		client = s.tcp
	}
	for _, up := range s.upstreams {
		resp, _, err := client.Exchange(req, up)
		if err != nil || resp == nil {
			continue
		}
		resp.Id = req.Id
		w.WriteMsg(resp)
		return
	}
	m := new(dns.Msg)
	m.SetRcode(req, dns.RcodeServerFailure)
	m.RecursionAvailable = true
	w.WriteMsg(m)
}

// write sends m, cut to what the client can receive; over UDP a cut
// answer carries TC so the client retries over TCP.
func (s *Server) write(w dns.ResponseWriter, req, m *dns.Msg) {
	size := dns.MaxMsgSize
	if !isTCP(w) {
		size = dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
			m.SetEdns0(opt.UDPSize(), false)
		}
	}
	m.Truncate(size)
	w.WriteMsg(m)
}

func reply(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	m.RecursionAvailable = true
	return m
}

func header(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
}

func isTCP(w dns.ResponseWriter) bool {
	_, ok := w.RemoteAddr().(*net.TCPAddr)
	return ok
}

// reverseIPv4 parses "4.3.2.1.in-addr.arpa." into 1.2.3.4.
func reverseIPv4(qname string) (netip.Addr, bool) {
	rest, ok := strings.CutSuffix(strings.ToLower(dns.Fqdn(qname)), ".in-addr.arpa.")
	if !ok {
		return netip.Addr{}, false
	}
	labels := strings.Split(rest, ".")
	if len(labels) != 4 {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(labels[3] + "." + labels[2] + "." + labels[1] + "." + labels[0])
	return ip, err == nil
}
