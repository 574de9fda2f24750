package engine

import (
	"strings"
	"testing"
)

func TestRegistryOptions(t *testing.T) {
	o, err := parseWithFile(t, `{"registry-mirrors":["https://mirror.local:5000"],"insecure-registries":["reg.local:5000","10.0.0.0/8"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Mirrors, ",") != "https://mirror.local:5000" || strings.Join(o.Insecure, ",") != "reg.local:5000,10.0.0.0/8" {
		t.Errorf("from file: %+v %+v", o.Mirrors, o.Insecure)
	}
	o, err = parseWithFile(t, "", "--registry-mirror", "http://m1", "--registry-mirror", "http://m2/", "--insecure-registry", "a:1", "--insecure-registry", "b:2")
	if err != nil || len(o.Mirrors) != 2 || strings.Join(o.Insecure, ",") != "a:1,b:2" {
		t.Errorf("flags: %+v %+v %v", o.Mirrors, o.Insecure, err)
	}
	if _, err := parseWithFile(t, `{"insecure-registries":["x:1"]}`, "--insecure-registry", "y:2"); err == nil ||
		!strings.Contains(err.Error(), "insecure-registries: (from flag:") {
		t.Errorf("both: %v", err)
	}

	cfg, err := registryConfig([]string{"https://mirror.local:5000"}, []string{"reg.local:5000", "10.1.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	hub := cfg.IndexConfigs["docker.io"]
	if hub == nil || !hub.Secure || !hub.Official || hub.Mirrors[0] != "https://mirror.local:5000/" {
		t.Errorf("docker.io index: %+v", hub)
	}
	if r := cfg.IndexConfigs["reg.local:5000"]; r == nil || r.Secure {
		t.Errorf("insecure index: %+v", r)
	}
	var cidrs []string
	for _, p := range cfg.InsecureRegistryCIDRs {
		cidrs = append(cidrs, p.String())
	}
	if strings.Join(cidrs, ",") != "127.0.0.0/8,::1/128,10.1.0.0/16" {
		t.Errorf("cidrs %v", cidrs)
	}
	for _, bad := range [][2][]string{
		{{"ftp://m"}, nil}, {{"https://m/path"}, nil}, {nil, {"http://reg:5000"}},
	} {
		if _, err := registryConfig(bad[0], bad[1]); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
