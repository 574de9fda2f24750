package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type inspectOptions struct {
	format, kind string
	size         bool
}

func (c *CLI) inspectCommand() *cobra.Command {
	var o inspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on Wharf objects",
		Args:  minArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return c.inspect(args, o) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.format, "format", "f", "", "Format output using a custom template")
	f.StringVar(&o.kind, "type", "", "Return JSON for specified type")
	f.BoolVarP(&o.size, "size", "s", false, "Display total file sizes if the type is container")
	return cmd
}

// inspected is one object: its typed form for templates, and the daemon's own JSON.
type inspected struct {
	typed any
	raw   []byte
}

func (c *CLI) inspect(refs []string, o inspectOptions) error {
	if o.kind != "" && o.kind != "container" && o.kind != "image" {
		return fmt.Errorf("%q is not a valid value for --type", o.kind)
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	var objs []inspected
	var failed []string
	for _, ref := range refs {
		obj, err := c.inspectOne(api, ref, o)
		if err != nil {
			if client.IsErrConnectionFailed(err) {
				return err
			}
			failed = append(failed, err.Error())
			continue
		}
		objs = append(objs, obj)
	}
	if err := c.printInspected(objs, o.format); err != nil {
		return err
	}
	return joinFailures(failed)
}

func (c *CLI) inspectOne(api apiClient, ref string, o inspectOptions) (inspected, error) {
	if o.kind != "image" {
		res, err := api.ContainerInspect(ctx(), ref, client.ContainerInspectOptions{Size: o.size})
		if err == nil {
			return inspected{typed: res.Container, raw: res.Raw}, nil
		}
		if o.kind == "container" || !cerrdefs.IsNotFound(err) {
			return inspected{}, err
		}
	}
	var raw bytes.Buffer
	res, err := api.ImageInspect(ctx(), ref, client.ImageInspectWithRawResponse(&raw))
	if err == nil {
		return inspected{typed: res.InspectResponse, raw: raw.Bytes()}, nil
	}
	if o.kind == "" && cerrdefs.IsNotFound(err) {
		return inspected{}, fmt.Errorf("Error: No such object: %s", ref)
	}
	return inspected{}, err
}

// printInspected writes an indented JSON array, or runs the template on each object:
// first on its typed form, then, as docker does, on its raw JSON when that fails.
func (c *CLI) printInspected(objs []inspected, format string) error {
	if format == "" || format == "json" {
		var raws [][]byte
		for _, o := range objs {
			raws = append(raws, o.raw)
		}
		var out bytes.Buffer
		if err := json.Indent(&out, []byte("["+string(bytes.Join(raws, []byte(",")))+"]"), "", "    "); err != nil {
			return err
		}
		if len(objs) == 0 {
			out.Reset()
			out.WriteString("[]")
		}
		out.WriteByte('\n')
		_, err := c.Out.Write(out.Bytes())
		return err
	}
	tmpl, err := parseTemplate(strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format))
	if err != nil {
		return err
	}
	for _, o := range objs {
		if executeLine(c.Out, tmpl, o.typed) == nil {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(o.raw))
		dec.UseNumber()
		var m any
		if err := dec.Decode(&m); err != nil {
			return err
		}
		if err := executeLine(c.Out, tmpl, m); err != nil {
			return err
		}
	}
	return nil
}
