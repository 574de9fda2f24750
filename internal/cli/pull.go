package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

type pullOptions struct {
	all, quiet bool
	platform   string
}

func (c *CLI) pullCommand() *cobra.Command {
	var o pullOptions
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			named, err := reference.ParseNormalizedNamed(args[0])
			if err != nil {
				return err
			}
			if o.all && !reference.IsNameOnly(named) {
				return fmt.Errorf("tag can't be used with --all-tags/-a")
			}
			if !o.all && reference.IsNameOnly(named) && !o.quiet {
				fmt.Fprintln(c.Out, "Using default tag: latest")
			}
			if !o.all {
				named = reference.TagNameOnly(named)
			}
			out := c.Out
			if o.quiet {
				out = io.Discard
			}
			if err := c.pullImage(named.String(), o, out); err != nil {
				return err
			}
			if o.quiet {
				fmt.Fprintln(c.Out, named.String())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all-tags", "a", false, "Download all tagged images in the repository")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress verbose output")
	f.StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable")
	return cmd
}

// pullImage asks the daemon to pull ref with the stored credentials of its
// registry, rendering the progress stream like docker (bars on a terminal).
func (c *CLI) pullImage(ref string, o pullOptions, out io.Writer) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	opts := client.ImagePullOptions{All: o.all, RegistryAuth: authHeaderFor(ref)}
	if o.platform != "" {
		p, err := parsePlatform(o.platform)
		if err != nil {
			return err
		}
		opts.Platforms = []ocispec.Platform{p}
	}
	resp, err := api.ImagePull(ctx(), ref, opts)
	if err != nil {
		return err
	}
	defer resp.Close()
	return jsonmessage.DisplayMessages(resp.JSONMessages(ctx()), out)
}

// parsePlatform reads "os[/arch[/variant]]".
func parsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) > 3 || parts[0] == "" {
		return ocispec.Platform{}, fmt.Errorf("invalid platform %q: expected os[/arch[/variant]]", s)
	}
	p := ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}

func (c *CLI) pushCommand() *cobra.Command {
	var all, quiet bool
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			named, err := reference.ParseNormalizedNamed(args[0])
			if err != nil {
				return err
			}
			if all && !reference.IsNameOnly(named) {
				return fmt.Errorf("tag can't be used with --all-tags/-a")
			}
			if !all && reference.IsNameOnly(named) {
				named = reference.TagNameOnly(named)
				if !quiet {
					fmt.Fprintf(c.Out, "Using default tag: latest\n")
				}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			resp, err := api.ImagePush(ctx(), named.String(), client.ImagePushOptions{All: all, RegistryAuth: authHeaderFor(named.String())})
			if err != nil {
				return err
			}
			defer resp.Close()
			out := c.Out
			if quiet {
				out = io.Discard
			}
			ignoreAux := jsonmessage.WithAuxCallback(func(jsonstream.Message) {})
			if err := jsonmessage.DisplayMessages(resp.JSONMessages(ctx()), out, ignoreAux); err != nil {
				return err
			}
			if quiet {
				fmt.Fprintln(c.Out, named.String())
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all-tags", "a", false, "Push all tags of an image to the repository")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	return cmd
}
