package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"
	"github.com/moby/term"
	"github.com/spf13/cobra"
)

var errTerminalOut = errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")

func (c *CLI) saveCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && isTerminalOut(c.Out) {
				return errTerminalOut
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			rc, err := api.ImageSave(ctx(), args)
			if err != nil {
				return err
			}
			defer rc.Close()
			return c.writeOutput(output, rc)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

// writeOutput copies r to stdout, or to path through a temp file renamed
// into place, so that a failed transfer leaves no half file.
func (c *CLI) writeOutput(path string, r io.Reader) error {
	if path == "" {
		_, err := io.Copy(c.Out, r)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".wharf-output-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func isTerminalOut(w io.Writer) bool {
	_, ok := term.GetFdInfo(w)
	return ok
}

func (c *CLI) loadCommand() *cobra.Command {
	var (
		input string
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in := c.In
			if input != "" {
				f, err := os.Open(input)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			} else if isTerminal(c.In) {
				return errors.New("requested load from stdin, but stdin is empty")
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			res, err := api.ImageLoad(ctx(), in, client.ImageLoadWithQuiet(quiet))
			if err != nil {
				return err
			}
			defer res.Close()
			return jsonmessage.DisplayStream(res, c.Out)
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress the load output")
	return cmd
}
