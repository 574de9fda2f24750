package image

import (
	"encoding/json"
	"path"
	"strconv"
	"strings"
	"unicode"

	ocispec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errdefs"
)

// applyChanges applies Dockerfile-style instructions (`docker import -c`,
// `docker commit -c`) to cfg. Only instructions that change the config are
// allowed, as in Docker.
func applyChanges(cfg *ocispec.DockerOCIImageConfig, changes []string) error {
	for _, c := range changes {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		word, rest, _ := strings.Cut(c, " ")
		rest = strings.TrimSpace(rest)
		if i := strings.IndexFunc(word, unicode.IsSpace); i >= 0 {
			word, rest = word[:i], strings.TrimSpace(word[i:]+" "+rest)
		}
		var err error
		switch strings.ToUpper(word) {
		case "CMD":
			cfg.Cmd = commandForm(rest)
		case "ENTRYPOINT":
			cfg.Entrypoint = commandForm(rest)
		case "ENV":
			err = setEnv(cfg, rest)
		case "WORKDIR":
			if rest == "" {
				return errdefs.Invalid("WORKDIR requires exactly one argument")
			}
			if !path.IsAbs(rest) {
				rest = path.Join("/", cfg.WorkingDir, rest)
			}
			cfg.WorkingDir = rest
		case "USER":
			if rest == "" {
				return errdefs.Invalid("USER requires exactly one argument")
			}
			cfg.User = rest
		case "EXPOSE":
			err = expose(cfg, rest)
		case "LABEL":
			err = setLabels(cfg, rest)
		case "VOLUME":
			err = volumes(cfg, rest)
		case "STOPSIGNAL":
			if rest == "" {
				return errdefs.Invalid("STOPSIGNAL requires exactly one argument")
			}
			cfg.StopSignal = rest
		case "ONBUILD":
			cfg.OnBuild = append(cfg.OnBuild, rest)
		default:
			return errdefs.Invalid("%s is not a valid change command", strings.ToLower(word))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// commandForm parses the exec (JSON array) or shell form of CMD/ENTRYPOINT.
func commandForm(s string) []string {
	var args []string
	if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &args) == nil {
		return args
	}
	return []string{"/bin/sh", "-c", s}
}

func setEnv(cfg *ocispec.DockerOCIImageConfig, s string) error {
	pairs, err := keyValues("ENV", s)
	if err != nil {
		return err
	}
	for _, kv := range pairs {
		key := kv[0] + "="
		replaced := false
		for i, e := range cfg.Env {
			if strings.HasPrefix(e, key) {
				cfg.Env[i], replaced = key+kv[1], true
			}
		}
		if !replaced {
			cfg.Env = append(cfg.Env, key+kv[1])
		}
	}
	return nil
}

func setLabels(cfg *ocispec.DockerOCIImageConfig, s string) error {
	pairs, err := keyValues("LABEL", s)
	if err != nil {
		return err
	}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	for _, kv := range pairs {
		cfg.Labels[kv[0]] = kv[1]
	}
	return nil
}

// keyValues parses `k=v k2="v 2"` or the legacy `k some value` form.
func keyValues(instr, s string) ([][2]string, error) {
	words := splitWords(s)
	if len(words) == 0 {
		return nil, errdefs.Invalid("%s requires at least one argument", instr)
	}
	if !strings.Contains(words[0], "=") {
		key, val, _ := strings.Cut(s, " ")
		val = strings.TrimSpace(val)
		if val == "" {
			return nil, errdefs.Invalid("%s must have two arguments", instr)
		}
		return [][2]string{{unquote(key), unquote(val)}}, nil
	}
	var out [][2]string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, errdefs.Invalid("%s names can not be blank or miss a value: %q", instr, w)
		}
		out = append(out, [2]string{unquote(k), unquote(v)})
	}
	return out, nil
}

// splitWords splits at unescaped spaces outside quotes, keeping quotes and escapes.
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			esc = false
		case r == '\\' && quote != '\'':
			esc = true
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case unicode.IsSpace(r):
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

// unquote removes quotes and backslash escapes like Dockerfile words.
func unquote(s string) string {
	var b strings.Builder
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			b.WriteRune(r)
			esc = false
		case r == '\\' && quote != '\'':
			esc = true
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '"' || r == '\''):
			quote = r
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func expose(cfg *ocispec.DockerOCIImageConfig, s string) error {
	ports := strings.Fields(s)
	if len(ports) == 0 {
		return errdefs.Invalid("EXPOSE requires at least one argument")
	}
	if cfg.ExposedPorts == nil {
		cfg.ExposedPorts = map[string]struct{}{}
	}
	for _, p := range ports {
		num, proto, ok := strings.Cut(strings.ToLower(p), "/")
		if !ok {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" && proto != "sctp" {
			return errdefs.Invalid("invalid proto: %s", proto)
		}
		lo, hi, isRange := strings.Cut(num, "-")
		start, err1 := strconv.ParseUint(lo, 10, 16)
		end := start
		var err2 error
		if isRange {
			end, err2 = strconv.ParseUint(hi, 10, 16)
		}
		if err1 != nil || err2 != nil || start == 0 || end < start {
			return errdefs.Invalid("invalid containerPort: %s", num)
		}
		for n := start; n <= end; n++ {
			cfg.ExposedPorts[strconv.FormatUint(n, 10)+"/"+proto] = struct{}{}
		}
	}
	return nil
}

func volumes(cfg *ocispec.DockerOCIImageConfig, s string) error {
	var vols []string
	if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &vols) == nil {
	} else {
		vols = strings.Fields(s)
	}
	if len(vols) == 0 {
		return errdefs.Invalid("VOLUME requires at least one argument")
	}
	if cfg.Volumes == nil {
		cfg.Volumes = map[string]struct{}{}
	}
	for _, v := range vols {
		if v = strings.TrimSpace(v); v == "" {
			return errdefs.Invalid("VOLUME specified can not be an empty string")
		}
		cfg.Volumes[v] = struct{}{}
	}
	return nil
}
