package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/testenv"
)

// TestRegistryErrorWords: a wrong password, an unknown host, a 404 tag and a
// 404 repository give Docker's own words through the stock docker CLIs
// (checked against dockerd 20.10), and our CLI says the same.
func TestRegistryErrorWords(t *testing.T) {
	r := testenv.StartRegistry(t, testenv.WithHtpasswd("alice", "s3cret"))
	r.PushArchive(t, testenv.BusyboxArchive(t, "busybox:latest"), "private/busybox:latest")
	open := registryWithBusybox(t, "busybox")
	d := testenv.StartDaemon(t)
	q := regexp.QuoteMeta
	cases := []struct {
		name string
		args []string
		want string // a regexp over the whole trimmed stderr
		// pending: Wharf's words still differ (the fix belongs to
		// internal/distribution's errors.go); a mismatch is logged, not failed.
		pending bool
	}{
		{"wrong password", []string{"login", "-u", "alice", "-p", "wrong", r.Addr()},
			`Error response from daemon: login attempt to http://` + q(r.Addr()) + `/v2/ failed with status: 401 Unauthorized`, false},
		{"anonymous pull", []string{"pull", r.Ref("private/busybox")},
			// Docker asks with HEAD, Wharf with GET: the method word differs.
			`Error response from daemon: (Head|Get) "?http://` + q(r.Addr()) + `/v2/private/busybox/manifests/latest"?: no basic auth credentials`, false},
		{"unknown host", []string{"pull", "nosuchhost.invalid/foo:1"},
			`Error response from daemon: Get "?https://nosuchhost\.invalid/v2/"?: dial tcp: lookup nosuchhost\.invalid( on [0-9.:]+)?: no such host`, false},
		{"404 tag", []string{"pull", open.Ref("busybox:nope")},
			`Error response from daemon: manifest for ` + q(open.Ref("busybox:nope")) + ` not found: manifest unknown: manifest unknown`, false},
		{"404 repository", []string{"pull", open.Ref("nothere:1")},
			`Error response from daemon: manifest for ` + q(open.Ref("nothere:1")) + ` not found: manifest unknown: manifest unknown`, false},
	}
	for _, c := range userClients(d) {
		// -p makes every CLI warn first; only the error itself is compared.
		t.Run(c.name, func(t *testing.T) {
			for _, tc := range cases {
				_, errOut, code := c.run(t, tc.args...)
				errOut = strings.TrimSpace(strings.TrimPrefix(errOut, passwordWarning))
				ok := code != 0 && regexp.MustCompile(`^(?s)`+tc.want+`$`).MatchString(errOut)
				if !ok && tc.pending && code != 0 && !onReference() {
					t.Logf("KNOWN DIVERGENCE %s: stderr %q, Docker's words (regexp) %q", tc.name, errOut, tc.want)
					continue
				}
				if !ok {
					t.Errorf("%s (%s): exit %d, stderr:\n%s\nwant (regexp):\n%s", tc.name, strings.Join(tc.args, " "), code, errOut, tc.want)
				}
			}
		})
	}
}

const passwordWarning = "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n"
