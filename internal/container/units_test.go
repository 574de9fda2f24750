package container

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errdefs"
)

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"web", "/web", "a1", "my_app.v2-x"} {
		if n, err := validateName(ok); err != nil || strings.HasPrefix(n, "/") {
			t.Errorf("validateName(%q) = %q, %v", ok, n, err)
		}
	}
	for _, bad := range []string{"", "a", "-web", "we b", "web/x", "_x"} {
		_, err := validateName(bad)
		if !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("validateName(%q) = %v, want Invalid", bad, err)
			continue
		}
		want := "Invalid container name (" + bad + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
		if err.Error() != want {
			t.Errorf("message %q", err)
		}
	}
}

func TestGenerateName(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		n := generateName(func(s string) bool { return seen[s] })
		if seen[n] {
			t.Fatalf("collision %q", n)
		}
		if _, err := validateName(n); err != nil || !strings.Contains(n, "_") {
			t.Fatalf("bad generated name %q", n)
		}
		seen[n] = true
	}
	id := newID()
	if !idPattern.MatchString(id) {
		t.Fatalf("bad id %q", id)
	}
}

func TestLookup(t *testing.T) {
	s := &Service{byID: map[string]*record{}, names: map[string]string{}}
	add := func(id, name string) {
		r := newRecord(id)
		r.Name = name
		s.byID[id] = r
		s.names[name] = id
	}
	a := "abc1" + strings.Repeat("0", 60)
	b := "abc2" + strings.Repeat("0", 60)
	add(a, "web")
	add(b, "abc1") // a name that is also a prefix of another ID: the name wins
	cases := []struct {
		ref, want string
		kind      error
	}{
		{a, a, nil}, {"web", a, nil}, {"/web", a, nil}, {"abc2", b, nil}, {"abc1", b, nil},
		{"abc", "", errdefs.ErrInvalid}, {"zzz", "", errdefs.ErrNotFound}, {"", "", errdefs.ErrNotFound},
	}
	for _, c := range cases {
		r, err := s.lookup(c.ref)
		if c.kind != nil {
			if !errors.Is(err, c.kind) {
				t.Errorf("lookup(%q) err = %v, want %v", c.ref, err, c.kind)
			}
			continue
		}
		if err != nil || r.ID != c.want {
			t.Errorf("lookup(%q) = %v, %v", c.ref, r, err)
		}
	}
	if _, err := s.lookup("abc"); err.Error() != "multiple IDs found with provided prefix: abc" {
		t.Errorf("message %q", err)
	}
	if _, err := s.lookup("zzz"); err.Error() != "No such container: zzz" {
		t.Errorf("message %q", err)
	}
}

func TestHumanStatus(t *testing.T) {
	now := time.Now()
	cases := []struct {
		st   State
		want string
	}{
		{State{Status: stateCreated}, "Created"},
		{State{Status: stateRunning, StartedAt: now.Add(-5 * time.Second)}, "Up 5 seconds"},
		{State{Status: stateExited, ExitCode: 3, FinishedAt: now.Add(-3 * time.Second)}, "Exited (3) 3 seconds ago"},
		{State{Status: stateExited, FinishedAt: now.Add(-2 * time.Hour)}, "Exited (0) 2 hours ago"},
		{State{Status: stateDead}, "Dead"},
	}
	for _, c := range cases {
		if got := humanStatus(c.st, now); got != c.want {
			t.Errorf("humanStatus(%+v) = %q, want %q", c.st, got, c.want)
		}
	}
}

func TestFilters(t *testing.T) {
	s := &Service{images: fakeImages{}}
	mk := func(name string, st State, labels map[string]string, image string) *record {
		r := newRecord(strings.Repeat("ab", 32))
		r.Name, r.State, r.ImageID = name, st, "sha256:other"
		r.Config = &container.Config{Labels: labels, Image: image}
		if image == "busybox" {
			r.ImageID = fakeImageID.String()
		}
		return r
	}
	web := mk("web", State{Status: stateRunning}, map[string]string{"tier": "front", "x": ""}, "busybox")
	db := mk("db-1", State{Status: stateExited, ExitCode: 2}, nil, "sha256:other")
	cases := []struct {
		f        map[string][]string
		web, db  bool
		badInput bool
	}{
		{map[string][]string{}, true, true, false},
		{map[string][]string{"name": {"we"}}, true, false, false},
		{map[string][]string{"name": {"^/db"}}, false, true, false},
		{map[string][]string{"name": {"web", "db"}}, true, true, false},
		{map[string][]string{"label": {"tier"}}, true, false, false},
		{map[string][]string{"label": {"tier=front"}}, true, false, false},
		{map[string][]string{"label": {"tier=back"}}, false, false, false},
		{map[string][]string{"label": {"tier", "x"}}, true, false, false},
		{map[string][]string{"status": {"exited"}}, false, true, false},
		{map[string][]string{"status": {"running", "exited"}}, true, true, false},
		{map[string][]string{"exited": {"2"}}, false, true, false},
		{map[string][]string{"exited": {"0"}}, false, false, false},
		{map[string][]string{"ancestor": {"busybox"}}, true, false, false},
		{map[string][]string{"ancestor": {fakeImageID.String()}}, true, false, false},
		{map[string][]string{"id": {"^abab"}}, true, true, false},
		{map[string][]string{"status": {"sleeping"}}, false, false, true},
		{map[string][]string{"color": {"red"}}, false, false, true},
		{map[string][]string{"exited": {"x"}}, false, false, true},
	}
	for _, c := range cases {
		f, err := s.compileFilters(c.f)
		if c.badInput {
			if !errors.Is(err, errdefs.ErrInvalid) {
				t.Errorf("%v: err = %v, want Invalid", c.f, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", c.f, err)
		}
		if f.match(web) != c.web || f.match(db) != c.db {
			t.Errorf("%v: web %v db %v, want %v %v", c.f, f.match(web), f.match(db), c.web, c.db)
		}
	}
}

func TestDetachScanner(t *testing.T) {
	keys, err := parseDetachKeys("")
	if err != nil || !bytes.Equal(keys, []byte{16, 17}) {
		t.Fatalf("default keys %v %v", keys, err)
	}
	if k, err := parseDetachKeys("ctrl-a,b"); err != nil || !bytes.Equal(k, []byte{1, 'b'}) {
		t.Fatalf("ctrl-a,b = %v %v", k, err)
	}
	if _, err := parseDetachKeys("ctrl-"); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad keys accepted: %v", err)
	}
	cases := []struct {
		chunks   []string
		want     string
		detached bool
	}{
		{[]string{"hello"}, "hello", false},
		{[]string{"ab\x10\x11cd"}, "ab", true},
		{[]string{"ab\x10", "\x11cd"}, "ab", true}, // split across reads
		{[]string{"a\x10b"}, "a\x10b", false},      // partial match released
		{[]string{"\x10\x10\x11"}, "\x10", true},   // restart on first key
		{[]string{"x\x10"}, "x", false},            // held back at EOF
	}
	for _, c := range cases {
		var out bytes.Buffer
		det, err := copyInput(&out, &chunkReader{chunks: c.chunks}, keys)
		if err != nil || det != c.detached || out.String() != c.want {
			t.Errorf("%q: out %q detached %v err %v; want %q %v", c.chunks, out.String(), det, err, c.want, c.detached)
		}
	}
}

type chunkReader struct{ chunks []string }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks = c.chunks[1:]
	return n, nil
}

func TestParseTime(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"1700000000", time.Unix(1700000000, 0)},
		{"1700000000.5", time.Unix(1700000000, 500000000)},
		{"1700000000.000000001", time.Unix(1700000000, 1)},
		{"10m", now.Add(-10 * time.Minute)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"2024-01-02T03:04:05Z", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2024-01-02T03:04:05.123+02:00", time.Date(2024, 1, 2, 1, 4, 5, 123000000, time.UTC)},
		{"2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.Local)},
	}
	for _, c := range cases {
		got, err := parseTime(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"yesterday", "2024-13-45", "12abc"} {
		if _, err := parseTime(bad, now); err == nil {
			t.Errorf("parseTime(%q) accepted", bad)
		}
	}
	if parseTail("all") != -1 || parseTail("") != -1 || parseTail("5") != 5 || parseTail("x") != -1 {
		t.Error("parseTail")
	}
}

func TestFrameWriter(t *testing.T) {
	var buf bytes.Buffer
	(&frameWriter{w: &buf, stream: stdcopy.Stdout}).Write([]byte("out\n"))
	(&frameWriter{w: &buf, stream: stdcopy.Stderr}).Write([]byte("err\n"))
	var o, e bytes.Buffer
	if _, err := stdcopy.StdCopy(&o, &e, &buf); err != nil || o.String() != "out\n" || e.String() != "err\n" {
		t.Fatalf("stdcopy: %q %q %v", o.String(), e.String(), err)
	}
}

func TestParsePS(t *testing.T) {
	out := "UID          PID    PPID  C STIME TTY          TIME CMD\n" +
		"root           1       0  0 10:00 ?        00:00:01 /sbin/init splash\n" +
		"root          42       1  0 10:00 ?        00:00:00 sleep 1000 --x\n"
	top, err := parsePS(out, []int{42})
	if err != nil {
		t.Fatal(err)
	}
	if len(top.Titles) != 8 || len(top.Processes) != 1 || top.Processes[0][1] != "42" || top.Processes[0][7] != "sleep 1000 --x" {
		t.Fatalf("%+v", top)
	}
	if _, err := parsePS("USER COMMAND\nroot x\n", nil); err == nil {
		t.Fatal("missing PID column accepted")
	}
}

func TestClassifyExecError(t *testing.T) {
	code, d := classifyExecError("exec failed: exec: \"nope\": executable file not found in $PATH", "nope")
	if code != 127 || d != `exec: "nope": executable file not found in $PATH` {
		t.Errorf("%d %q", code, d)
	}
	if code, d = classifyExecError("no such file or directory", "/bin/x"); code != 127 || !strings.Contains(d, "/bin/x") {
		t.Errorf("%d %q", code, d)
	}
	if code, _ = classifyExecError("permission denied", "/etc"); code != 126 {
		t.Errorf("%d", code)
	}
	if code, _ = classifyExecError("cgroup trouble", "sh"); code != 128 {
		t.Errorf("%d", code)
	}
}

func TestResolvConf(t *testing.T) {
	got := string(filterResolvConf([]byte("search lan\nnameserver 127.0.0.53\nnameserver ::1\n")))
	if got != "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n" {
		t.Errorf("%q", got)
	}
	got = string(filterResolvConf([]byte("nameserver 10.0.0.1\nnameserver 127.0.0.1\n")))
	if got != "nameserver 10.0.0.1\n" {
		t.Errorf("%q", got)
	}
}
