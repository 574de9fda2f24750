package image

import (
	"errors"
	"reflect"
	"testing"

	ocispec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errdefs"
)

func TestApplyChanges(t *testing.T) {
	var cfg ocispec.DockerOCIImageConfig
	err := applyChanges(&cfg, []string{
		`CMD ["httpd", "-f"]`,
		`ENTRYPOINT echo hi there`,
		`ENV A=1 B="two words" C=x\ y`,
		`ENV PATH /usr/bin:/bin`,
		`ENV A=one`,
		`WORKDIR /srv`,
		`WORKDIR www`,
		`USER nobody:nogroup`,
		`EXPOSE 80/tcp 53/udp 8000-8001`,
		`LABEL a=b "c d"="e f"`,
		`LABEL legacy some value`,
		`VOLUME ["/data"]`,
		`VOLUME /a /b`,
		`STOPSIGNAL SIGINT`,
		`cmd ["lower"]`,
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v want %#v", name, got, want)
		}
	}
	check("Cmd", cfg.Cmd, []string{"lower"})
	check("Entrypoint", cfg.Entrypoint, []string{"/bin/sh", "-c", "echo hi there"})
	check("Env", cfg.Env, []string{"A=one", "B=two words", "C=x y", "PATH=/usr/bin:/bin"})
	check("WorkingDir", cfg.WorkingDir, "/srv/www")
	check("User", cfg.User, "nobody:nogroup")
	check("ExposedPorts", cfg.ExposedPorts, map[string]struct{}{"80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}})
	check("Labels", cfg.Labels, map[string]string{"a": "b", "c d": "e f", "legacy": "some value"})
	check("Volumes", cfg.Volumes, map[string]struct{}{"/data": {}, "/a": {}, "/b": {}})
	check("StopSignal", cfg.StopSignal, "SIGINT")

	var c2 ocispec.DockerOCIImageConfig
	if err := applyChanges(&c2, []string{`CMD sh -c "x"`}); err != nil || !reflect.DeepEqual(c2.Cmd, []string{"/bin/sh", "-c", `sh -c "x"`}) {
		t.Errorf("shell form: %v %v", c2.Cmd, err)
	}
	for change, msg := range map[string]string{
		"ADD a /b":      "add is not a valid change command",
		"RUN true":      "run is not a valid change command",
		"FROM x":        "from is not a valid change command",
		"EXPOSE abc":    "invalid containerPort: abc",
		"EXPOSE 80/xyz": "invalid proto: xyz",
		"ENV":           "ENV requires at least one argument",
		"ENV =x":        `ENV names can not be blank or miss a value: "=x"`,
		"USER":          "USER requires exactly one argument",
	} {
		var c ocispec.DockerOCIImageConfig
		err := applyChanges(&c, []string{change})
		if !errors.Is(err, errdefs.ErrInvalid) || err.Error() != msg {
			t.Errorf("%q: got %v, want %q", change, err, msg)
		}
	}
}
