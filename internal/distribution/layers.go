package distribution

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/layer"
)

const attempts = 3

// pullLayer is one layer of a pull. Whoever claims it first downloads it:
// a worker (into the content store, applied later from there) or the
// applier when the layer's turn comes before a worker took it (streamed
// straight from the network into the unpack, one pass).
type pullLayer struct {
	desc    v1.Descriptor
	digest  digest.Digest
	diffID  digest.Digest
	chainID digest.Digest
	id      string
	claimed atomic.Bool
	done    chan struct{}
	err     error
}

// source opens a layer's compressed blob from the registry.
type source struct {
	ctx    context.Context
	puller *remote.Puller
	repo   name.Repository
}

func (s source) open(d digest.Digest) (io.ReadCloser, error) {
	l, err := s.puller.Layer(s.ctx, s.repo.Digest(d.String()))
	if err != nil {
		return nil, err
	}
	return l.Compressed()
}

// fetchLayers downloads up to jobs() layers at a time and applies them in
// order, each as soon as its parent is applied.
func (c *Client) fetchLayers(ctx context.Context, puller *remote.Puller, repo name.Repository, descs []v1.Descriptor, diffIDs []digest.Digest, req pullRequest) error {
	layers := c.cfg.Images.Layers()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src := source{ctx: ctx, puller: puller, repo: repo}
	var todo []*pullLayer
	var all []*pullLayer
	parent := digest.Digest("")
	for i, d := range descs {
		l := &pullLayer{desc: d, digest: digest.Digest(d.Digest.String()), diffID: diffIDs[i], done: make(chan struct{})}
		l.chainID = layer.ChainID(parent, l.diffID)
		l.id = shortID(l.digest)
		parent = l.chainID
		all = append(all, l)
		if _, err := layers.Get(l.chainID); err == nil {
			l.claimed.Store(true)
			close(l.done)
			req.rep.status(l.id, "Already exists")
			continue
		}
		req.rep.status(l.id, "Pulling fs layer")
		todo = append(todo, l)
	}
	for i, l := range todo {
		if i >= c.jobs() {
			req.rep.status(l.id, "Waiting")
		}
	}

	queue := make(chan *pullLayer, len(todo))
	for _, l := range todo {
		queue <- l
	}
	close(queue)
	var wg sync.WaitGroup
	defer wg.Wait()
	for range c.jobs() {
		wg.Go(func() {
			for l := range queue {
				if ctx.Err() != nil || !l.claimed.CompareAndSwap(false, true) {
					continue
				}
				l.err = c.download(src, l, req.rep)
				close(l.done)
			}
		})
	}

	parent = ""
	for _, l := range all {
		var err error
		switch {
		case l.claimed.CompareAndSwap(false, true):
			err = c.stream(src, l, parent, req.rep)
		default:
			select {
			case <-l.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if l.err != nil {
				return l.err
			}
			if _, gerr := layers.Get(l.chainID); gerr == nil {
				parent = l.chainID
				continue
			}
			err = c.applyStored(l, parent, req.rep)
		}
		if err != nil {
			return err
		}
		req.rep.status(l.id, "Pull complete")
		parent = l.chainID
	}
	return nil
}

// download stores a layer's compressed blob, retrying transient failures.
func (c *Client) download(src source, l *pullLayer, rep *reporter) error {
	store := c.cfg.Images.Content()
	if size, err := store.Stat(l.digest); err == nil && size == l.desc.Size {
		rep.status(l.id, "Download complete")
		return nil
	}
	return retry(src.ctx, l, rep, func() (bool, error) {
		rc, err := src.open(l.digest)
		if err != nil {
			return transient(err), err
		}
		defer rc.Close()
		w, err := store.Writer(l.digest, l.desc.Size)
		if err != nil {
			return false, err
		}
		defer w.Close()
		net := &netReader{r: rc}
		cnt := &counter{r: net, rep: rep, id: l.id, status: "Downloading", total: l.desc.Size}
		_, err = io.Copy(w, cnt)
		if net.err != nil {
			return true, net.err
		}
		if err != nil {
			return false, err
		}
		rep.send(l.id, "Downloading", cnt.n, l.desc.Size)
		rep.status(l.id, "Verifying Checksum")
		if _, _, err := w.Commit(); err != nil {
			return false, err
		}
		rep.status(l.id, "Download complete")
		return false, nil
	})
}

// stream downloads, stores and unpacks a layer in one pass.
func (c *Client) stream(src source, l *pullLayer, parent digest.Digest, rep *reporter) error {
	return retry(src.ctx, l, rep, func() (bool, error) {
		rc, err := src.open(l.digest)
		if err != nil {
			return transient(err), err
		}
		defer rc.Close()
		w, err := c.cfg.Images.Content().Writer(l.digest, l.desc.Size)
		if err != nil {
			return false, err
		}
		defer w.Close()
		net := &netReader{r: rc}
		cnt := &counter{r: net, rep: rep, id: l.id, status: "Downloading", total: l.desc.Size}
		err = c.apply(io.TeeReader(cnt, w), l, parent)
		if net.err != nil {
			return true, net.err
		}
		if err != nil {
			return false, err
		}
		rep.send(l.id, "Downloading", cnt.n, l.desc.Size)
		rep.status(l.id, "Download complete")
		_, _, err = w.Commit()
		return false, err
	})
}

func (c *Client) applyStored(l *pullLayer, parent digest.Digest, rep *reporter) error {
	f, err := c.cfg.Images.Content().Open(l.digest)
	if err != nil {
		return err
	}
	defer f.Close()
	cnt := &counter{r: f, rep: rep, id: l.id, status: "Extracting", total: l.desc.Size}
	if err := c.apply(cnt, l, parent); err != nil {
		return err
	}
	rep.send(l.id, "Extracting", l.desc.Size, l.desc.Size)
	return nil
}

// apply decompresses r (gzip, zstd or plain tar, by magic), unpacks it onto
// parent and reads r to its end so that every checksum is verified. Three
// stages run side by side, each in its own goroutine with megabytes of
// slack between them: reading r (network, blob file and its hash),
// inflating, and the unpack's file system calls.
func (c *Client) apply(r io.Reader, l *pullLayer, parent digest.Digest) error {
	raw := newAheadReader(r, 1<<20, 8)
	defer raw.Close()
	dec, closeDec, err := decompress(raw)
	if err != nil {
		return err
	}
	tarStream := newAheadReader(drainAfter{dec, raw}, 1<<20, 16)
	got, err := c.cfg.Images.Layers().Apply(parent, tarStream)
	if err == nil {
		_, err = io.Copy(io.Discard, tarStream)
	}
	// Both producers are told first: the inflater may be waiting on raw.
	tarStream.stop()
	raw.stop()
	tarStream.Close()
	raw.Close()
	closeDec() // after the inflate goroutine is gone
	if err != nil {
		return err
	}
	if got.DiffID != l.diffID {
		return errdefs.Invalid("layer %s: diff ID %s does not match %s in the image config", l.digest, got.DiffID, l.diffID)
	}
	return nil
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

func decompress(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, gzipMagic) && igzipPath() != "" && !noIgzip:
		x, err := startIgzip(igzipPath(), br)
		if err != nil {
			return nil, nil, err
		}
		return x, x.close, nil
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, errdefs.Invalid("layer: %v", err)
		}
		return zr, func() { zr.Close() }, nil
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, nil, errdefs.Invalid("layer: %v", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() {}, nil
}

// netReader remembers a failure of the network side, which makes an
// attempt worth repeating (truncated body, reset, digest mismatch).
type netReader struct {
	r   io.Reader
	err error
}

func (n *netReader) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	if err != nil && err != io.EOF {
		n.err = err
	}
	return k, err
}

// retry runs one attempt up to three times while it fails in a way worth
// repeating, with a short backoff, then gives Docker-like wording.
func retry(ctx context.Context, l *pullLayer, rep *reporter, attempt func() (again bool, err error)) error {
	var err error
	for i := range attempts {
		if i > 0 {
			wait := time.Duration(i) * 300 * time.Millisecond
			rep.status(l.id, "Retrying in "+wait.String())
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var again bool
		again, err = attempt()
		if err == nil || !again || ctx.Err() != nil {
			return err
		}
	}
	return errdefs.Unavailable("failed to download layer %s after %d attempts: %v", l.digest, attempts, err)
}

// transient: network failures and 5xx/429 answers; not 4xx.
func transient(err error) bool {
	var terr *transport.Error
	if errors.As(err, &terr) {
		return terr.StatusCode >= 500 || terr.StatusCode == http.StatusTooManyRequests
	}
	return !isKind(err)
}
