package cli

import (
	"fmt"
	"os"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func (c *CLI) createCommand() *cobra.Command {
	var o containerOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, hc, err := o.containerConfig(args[0], args[1:], false)
			if err != nil {
				return runError{err: err}
			}
			id, err := c.createContainer(&o, cfg, hc)
			if err != nil {
				return runError{err: err}
			}
			fmt.Fprintln(c.Out, id)
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false)
	addContainerFlags(cmd.Flags(), &o)
	return cmd
}

// createContainer creates the container, pulling its image once if the daemon
// does not have it, and writes --cidfile.
func (c *CLI) createContainer(o *containerOptions, cfg *container.Config, hc *container.HostConfig) (string, error) {
	if o.cidfile != "" {
		if _, err := os.Stat(o.cidfile); err == nil {
			return "", fmt.Errorf("container ID file found, make sure the other container isn't running or delete %s", o.cidfile)
		}
	}
	api, err := c.client()
	if err != nil {
		return "", err
	}
	opts := client.ContainerCreateOptions{Config: cfg, HostConfig: hc, NetworkingConfig: o.networking, Name: o.name}
	res, err := api.ContainerCreate(ctx(), opts)
	if err != nil && cerrdefs.IsNotFound(err) && !client.IsErrConnectionFailed(err) {
		ref := cfg.Image
		if named, perr := reference.ParseNormalizedNamed(ref); perr == nil {
			ref = reference.FamiliarString(reference.TagNameOnly(named))
		}
		fmt.Fprintf(c.Err, "Unable to find image '%s' locally\n", ref)
		if perr := c.pull(cfg.Image); perr != nil {
			return "", perr
		}
		res, err = api.ContainerCreate(ctx(), opts)
	}
	if err != nil {
		return "", err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(c.Err, "WARNING: %s\n", w)
	}
	if o.cidfile != "" {
		if err := os.WriteFile(o.cidfile, []byte(res.ID), 0o644); err != nil {
			return res.ID, fmt.Errorf("failed to write the container ID to the file: %w", err)
		}
	}
	return res.ID, nil
}

// pull asks the daemon to fetch ref, showing its progress on stderr.
func (c *CLI) pull(ref string) error {
	return c.pullImage(ref, pullOptions{}, c.Err)
}
