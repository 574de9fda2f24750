package cli

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
)

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fixedNow(t *testing.T) {
	old := now
	now = func() time.Time { return testNow }
	t.Cleanup(func() { now = old })
}

func TestAgo(t *testing.T) {
	fixedNow(t)
	cases := map[time.Duration]string{
		0:                   "Less than a second ago",
		3 * time.Second:     "3 seconds ago",
		70 * time.Second:    "About a minute ago",
		5 * time.Minute:     "5 minutes ago",
		65 * time.Minute:    "About an hour ago",
		50 * time.Hour:      "2 days ago",
		24 * 20 * time.Hour: "2 weeks ago",
	}
	for d, want := range cases {
		if got := ago(testNow.Add(-d)); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

func TestShortForms(t *testing.T) {
	if got := shortID("sha256:e44fc591849983c42b37de13ad7702fb560a8d74f8320e0265fd280867513a63"); got != "e44fc5918499" {
		t.Errorf("shortID %q", got)
	}
	if got := humanSize(1980000); got != "1.98MB" {
		t.Errorf("humanSize %q", got)
	}
	if got := quoteCommand("sh -c 'echo out; echo err >&2; exit 2'", false); got != `"sh -c 'echo out; ec…"` {
		t.Errorf("quoteCommand %q", got)
	}
	if got := quoteCommand("sleep 1000", false); got != `"sleep 1000"` {
		t.Errorf("quoteCommand %q", got)
	}
}

func testContainers() []any {
	web := container.Summary{
		ID: "9a7ae2b588e3a34d69b3b5ed401c021953f9dae6dadc403f62ac7911eb3d93b0", Names: []string{"/web"},
		Image: "busybox", Command: "httpd -f -p 8080", Created: testNow.Add(-3 * time.Second).Unix(),
		State: "running", Status: "Up 2 seconds", Labels: map[string]string{"b": "2", "a": "1"},
		Ports: []container.PortSummary{{IP: netip.MustParseAddr("0.0.0.0"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"}},
	}
	ex := container.Summary{
		ID: "6257d95dc1141b372ca71d5058bc5f245cb9eb0bdf99c2729cd3c3b2bdccbc6f", Names: []string{"/ex", "/web/link"},
		Image:   "sha256:e44fc591849983c42b37de13ad7702fb560a8d74f8320e0265fd280867513a63",
		Command: "sh -c 'echo out; echo err >&2; exit 2'", Created: testNow.Add(-90 * time.Second).Unix(),
		State: "exited", Status: "Exited (2) 2 seconds ago",
	}
	return []any{psRow{s: web, trunc: true}, psRow{s: ex, trunc: true}}
}

func TestPsDefaultTable(t *testing.T) {
	fixedNow(t)
	var buf bytes.Buffer
	if err := psTable.write(&buf, "", testContainers()); err != nil {
		t.Fatal(err)
	}
	want := `CONTAINER ID   IMAGE          COMMAND                  CREATED              STATUS                     PORTS                  NAMES
9a7ae2b588e3   busybox        "httpd -f -p 8080"       3 seconds ago        Up 2 seconds               0.0.0.0:8080->80/tcp   web
6257d95dc114   e44fc5918499   "sh -c 'echo out; ec…"   About a minute ago   Exited (2) 2 seconds ago                          ex
`
	if buf.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestPsCustomFormats(t *testing.T) {
	fixedNow(t)
	cases := map[string]string{
		`{{.Names}} {{.Label "a"}} {{.Labels}}`:                   "web 1 a=1,b=2\nex  \n",
		`table {{.ID}}\t{{.State}}`:                               "CONTAINER ID   STATE\n9a7ae2b588e3   running\n6257d95dc114   exited\n",
		`{{upper .Names}}|{{truncate .ID 4}}|{{pad .State 1 1}}|`: "WEB|9a7a| running |\nEX|6257| exited |\n",
		`{{join (split .Status " ") "_"}}`:                        "Up_2_seconds\nExited_(2)_2_seconds_ago\n",
		`{{title .State}}{{println}}`:                             "Running\n\nExited\n\n",
		`{{lower "ABC"}} {{json .Names}}`:                         "abc \"web\"\nabc \"ex\"\n",
	}
	for format, want := range cases {
		var buf bytes.Buffer
		if err := psTable.write(&buf, format, testContainers()); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if buf.String() != want {
			t.Errorf("%s:\ngot  %q\nwant %q", format, buf.String(), want)
		}
	}
	var buf bytes.Buffer
	psTable.write(&buf, "json", testContainers()[:1])
	for _, field := range []string{`"ID":"9a7ae2b588e3"`, `"Names":"web"`, `"Command":"\"httpd -f -p 8080\""`, `"RunningFor":"3 seconds ago"`} {
		if !strings.Contains(buf.String(), field) {
			t.Errorf("json output %s lacks %s", buf.String(), field)
		}
	}
	if err := psTable.write(&buf, "{{.Nope", nil); err == nil || !strings.Contains(err.Error(), "template parsing error") {
		t.Errorf("bad template: %v", err)
	}
}

func TestImagesTable(t *testing.T) {
	fixedNow(t)
	img := image.Summary{
		ID: "sha256:e44fc591849983c42b37de13ad7702fb560a8d74f8320e0265fd280867513a63", Size: 1980000,
		Created: testNow.Add(-5 * time.Minute).Unix(), RepoTags: []string{"busybox:latest", "localhost:5000/bb:v1"},
	}
	dangling := image.Summary{ID: "sha256:0123456789abcdef0123", Size: 512, Created: testNow.Add(-2 * time.Hour).Unix()}
	rows := append(imageRows(img, true), imageRows(dangling, true)...)
	var buf bytes.Buffer
	if err := imagesTable.write(&buf, "", rows); err != nil {
		t.Fatal(err)
	}
	want := `REPOSITORY          TAG       IMAGE ID       CREATED         SIZE
busybox             latest    e44fc5918499   5 minutes ago   1.98MB
localhost:5000/bb   v1        e44fc5918499   5 minutes ago   1.98MB
<none>              <none>    0123456789ab   2 hours ago     512B
`
	if buf.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestInspectOutput(t *testing.T) {
	var out bytes.Buffer
	c := &CLI{Out: &out}
	objs := []inspected{{
		typed: container.InspectResponse{Name: "/web", Config: &container.Config{Cmd: []string{"echo", "hi"}}},
		raw:   []byte(`{"Name":"/web","Config":{"Cmd":["echo","hi"]},"HostConfig":{"Memory":1073741824}}`),
	}}
	if err := c.printInspected(objs, ""); err != nil {
		t.Fatal(err)
	}
	want := "[\n    {\n        \"Name\": \"/web\",\n        \"Config\": {\n            \"Cmd\": [\n                \"echo\",\n                \"hi\"\n            ]\n        },\n        \"HostConfig\": {\n            \"Memory\": 1073741824\n        }\n    }\n]\n"
	if out.String() != want {
		t.Fatalf("got %q", out.String())
	}
	out.Reset()
	// .Config.Cmd works on the typed value; .Nope only on the raw JSON fallback.
	if err := c.printInspected(objs, `{{.Name}} {{json .Config.Cmd}} {{join .Config.Cmd "+"}}`); err != nil {
		t.Fatal(err)
	}
	if err := c.printInspected(objs, `{{.HostConfig.Memory}}`); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "/web [\"echo\",\"hi\"] echo+hi\n1073741824\n" {
		t.Fatalf("got %q", got)
	}
}
