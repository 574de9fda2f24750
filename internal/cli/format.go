package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
)

// templateFuncs are the functions docker offers in --format templates.
var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSpace(buf.String()), nil
	},
	"split": strings.Split,
	"join":  strings.Join,
	"title": func(s string) string {
		// strings.Title's behaviour without its deprecation: upper-case each word's first letter.
		words := strings.Fields(s)
		for i, w := range words {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
		return strings.Join(words, " ")
	},
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"pad": func(s string, before, after int) string {
		return strings.Repeat(" ", before) + s + strings.Repeat(" ", after)
	},
	"truncate": truncate,
	"println":  fmt.Sprintln,
}

func truncate(s string, n int) string {
	if n < 0 || len(s) <= n {
		return s
	}
	return s[:n]
}

func parseTemplate(format string) (*template.Template, error) {
	tmpl, err := template.New("").Funcs(templateFuncs).Parse(format)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %v", err)
	}
	return tmpl, nil
}

// jsonRow is implemented by rows whose --format json output is a set of named fields.
type jsonRow interface{ jsonFields() map[string]any }

// table describes a listing: its default table format and the header of each field.
type table struct {
	defaultFormat string
	headers       map[string]string
}

// write renders rows with format: "" or "table" (the default table), "table TEMPLATE",
// "json" (one JSON object per line) or a plain template executed once per row.
func (t table) write(w io.Writer, format string, rows []any) error {
	switch {
	case format == "" || format == "table":
		format = t.defaultFormat
	case format == "json":
		format = "{{json .}}"
	}
	isTable := strings.HasPrefix(format, "table")
	if isTable {
		format = strings.TrimLeft(strings.TrimPrefix(format, "table"), " ")
	}
	// docker lets users write \t and \n in a format on the command line.
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	tmpl, err := parseTemplate(format)
	if err != nil {
		return err
	}
	out := w
	var tw *tabwriter.Writer
	if isTable {
		tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		out = tw
		if err := executeLine(out, tmpl, t.headers); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if j, ok := r.(jsonRow); ok && format == "{{json .}}" {
			r = j.jsonFields()
		}
		if err := executeLine(out, tmpl, r); err != nil {
			return err
		}
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

func executeLine(w io.Writer, tmpl *template.Template, data any) error {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("template: %v", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
