package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/content"
	"github.com/wharf/wharf/internal/errdefs"
)

// maxMeta bounds the JSON files read into memory (manifest.json, index.json,
// repositories): a hostile archive must not exhaust memory.
const maxMeta = 32 << 20

// maxLinks bounds symlink chains inside an archive.
const maxLinks = 16

// blob is one archive file spooled into the content store.
type blob struct {
	digest digest.Digest
	size   int64
	fresh  bool // not in the store before this load: ours to delete if unused
}

// bundle is what one pass over an archive leaves: its JSON metadata in
// memory, every other file in the content store, and its links.
type bundle struct {
	cs    *content.Store
	meta  map[string][]byte // top-level manifest.json, index.json, repositories, oci-layout
	files map[string]blob   // archive path -> spooled blob
	links map[string]string // archive path -> link target as written in the entry
	kinds map[string]byte   // archive path -> tar type of links (symlink or hardlink)
}

var topMeta = map[string]bool{"manifest.json": true, "index.json": true, "repositories": true, "oci-layout": true}

// spool reads the (optionally gzip or zstd compressed) archive once.
func spool(ctx context.Context, cs *content.Store, r io.Reader) (*bundle, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	in, closeFn, err := decompress(br)
	if err != nil {
		return nil, errdefs.Invalid("archive: %v", err)
	}
	defer closeFn()
	b := &bundle{cs: cs, meta: map[string][]byte{}, files: map[string]blob{},
		links: map[string]string{}, kinds: map[string]byte{}}
	tr := tar.NewReader(ctxReader{ctx, in})
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return b, ctx.Err()
			}
			return b, errdefs.Invalid("archive: reading tar: %v", err)
		}
		name, err := cleanName(hdr.Name)
		if err != nil {
			return b, err
		}
		if name == "" {
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeSymlink, tar.TypeLink:
			b.links[name] = hdr.Linkname
			b.kinds[name] = hdr.Typeflag
		case tar.TypeReg, tar.TypeRegA:
			if err := b.add(name, hdr.Size, tr); err != nil {
				return b, err
			}
		}
	}
	return b, nil
}

func (b *bundle) add(name string, size int64, r io.Reader) error {
	if topMeta[name] {
		if size > maxMeta {
			return errdefs.Invalid("archive entry %q is too large (%d bytes)", name, size)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return errdefs.Invalid("archive entry %q: %v", name, err)
		}
		b.meta[name] = data
		return nil
	}
	// Legacy per-layer metadata is not needed: manifest.json names configs.
	if base := path.Base(name); path.Dir(name) != "." && (base == "json" || base == "VERSION") {
		return nil
	}
	expected := blobDigest(name)
	fresh := true
	if expected != "" {
		if n, err := b.cs.Stat(expected); err == nil && n == size {
			// Already stored (verified then); the entry's bytes are not used.
			b.files[name] = blob{digest: expected, size: size}
			return nil
		}
	}
	w, err := b.cs.Writer(expected, size)
	if err != nil {
		return err
	}
	defer w.Close()
	h := digest.SHA256.Digester()
	if _, err := io.Copy(io.MultiWriter(w, h.Hash()), r); err != nil {
		return errdefs.Invalid("archive entry %q: %v", name, err)
	}
	if expected == "" {
		// A legacy layer.tar or config: it may be stored already.
		if _, err := b.cs.Stat(h.Digest()); err == nil {
			fresh = false
		}
	}
	d, n, err := w.Commit()
	if err != nil {
		if errors.Is(err, errdefs.ErrInvalid) {
			return errdefs.Invalid("archive entry %q: %v", name, err)
		}
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	b.files[name] = blob{digest: d, size: n, fresh: fresh && !b.known(d)}
	return nil
}

// known reports whether another entry of this archive already spooled d.
func (b *bundle) known(d digest.Digest) bool {
	for _, f := range b.files {
		if f.digest == d {
			return true
		}
	}
	return false
}

// blobDigest is the digest an OCI-layout path blobs/<alg>/<hex> promises.
func blobDigest(name string) digest.Digest {
	parts := strings.Split(name, "/")
	if len(parts) != 3 || parts[0] != "blobs" {
		return ""
	}
	d := digest.Digest(parts[1] + ":" + parts[2])
	if d.Validate() != nil {
		return ""
	}
	return d
}

// cleanName refuses absolute names and any ".." component, so no entry can
// name a file outside the archive even by lexical accident.
func cleanName(n string) (string, error) {
	if strings.HasPrefix(n, "/") {
		return "", errdefs.Invalid("archive entry %q: absolute path", n)
	}
	for _, seg := range strings.Split(n, "/") {
		if seg == ".." {
			return "", errdefs.Invalid("archive entry %q: path leaves the archive", n)
		}
	}
	c := path.Clean(n)
	if c == "." {
		return "", nil
	}
	return c, nil
}

// lookup finds the blob an archive path names, following links inside the
// archive only.
func (b *bundle) lookup(name string) (blob, error) {
	orig := name
	name, err := cleanName(name)
	if err != nil {
		return blob{}, err
	}
	for range maxLinks {
		if f, ok := b.files[name]; ok {
			return f, nil
		}
		target, ok := b.links[name]
		if !ok {
			return blob{}, errdefs.Invalid("archive: %q is named by the manifest but missing from the archive", orig)
		}
		if b.kinds[name] == tar.TypeSymlink {
			if path.IsAbs(target) {
				return blob{}, errdefs.Invalid("archive entry %q: symlink to absolute path %q", name, target)
			}
			target = path.Join(path.Dir(name), target)
			if target == ".." || strings.HasPrefix(target, "../") {
				return blob{}, errdefs.Invalid("archive entry %q: symlink leaves the archive", name)
			}
		}
		if name, err = cleanName(target); err != nil {
			return blob{}, errdefs.Invalid("archive entry %q: link target: %v", orig, err)
		}
	}
	return blob{}, errdefs.Invalid("archive entry %q: too many levels of links", orig)
}

// blobFor finds a descriptor's blob in an OCI layout and checks its size.
func (b *bundle) blobFor(d digest.Digest, size int64) (blob, error) {
	if d.Validate() != nil {
		return blob{}, errdefs.Invalid("archive: invalid digest %q", d)
	}
	name := "blobs/" + d.Algorithm().String() + "/" + d.Encoded()
	f, err := b.lookup(name)
	if err != nil {
		return blob{}, err
	}
	if f.digest != d {
		return blob{}, errdefs.Invalid("archive entry %q: content has digest %s", name, f.digest)
	}
	if size >= 0 && f.size != size {
		return blob{}, errdefs.Invalid("archive entry %q: size %d, descriptor says %d", name, f.size, size)
	}
	return f, nil
}

func (b *bundle) read(f blob) ([]byte, error) {
	if f.size > maxMeta {
		return nil, errdefs.Invalid("archive: blob %s is too large for JSON (%d bytes)", f.digest, f.size)
	}
	return b.cs.ReadAll(f.digest)
}

// mediaType names a layer blob's compression in OCI's terms.
func mediaType(br *bufio.Reader) string {
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return imgspec.MediaTypeImageLayerGzip
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return imgspec.MediaTypeImageLayerZstd
	}
	return imgspec.MediaTypeImageLayer
}

// decompress sniffs gzip and zstd by their magic numbers.
func decompress(br *bufio.Reader) (io.Reader, func(), error) {
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	}
	return br, func() {}, nil
}

// ctxReader stops reading once the client has gone.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
