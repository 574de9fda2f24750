package api

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	imagetypes "github.com/moby/moby/api/types/image"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
)

// ImageBackend is what the API uses of the image store (*image.Store).
type ImageBackend interface {
	Get(ref string) (*image.Image, error)
	List() ([]*image.Image, error)
	Tag(source, ref string) error
	Delete(ref string, force bool, inUse func(id digest.Digest) string) ([]image.DeleteResult, error)
	Import(ctx context.Context, r io.Reader, ref string, changes []string, message string) (*image.Image, error)
}

// imageUser is the container backend's optional answer to "which container
// uses this image?", needed to refuse deleting it.
type imageUser interface {
	InUse(id digest.Digest) string
}

func (s *Server) routeImages() {
	s.handle("GET /images/json", s.imageList)
	s.handle("POST /images/create", s.imageCreate)
	s.handle("GET /images/get", func(w http.ResponseWriter, r *http.Request) error {
		return s.imagesGet(w, r, r.URL.Query()["names"])
	})
	s.handle("POST /images/load", s.imagesLoad)
	s.handle("POST /images/prune", s.imagesPrune)
	// Image names contain slashes and colons (localhost:5000/a/b:c), so the
	// action is the last path element of a catch-all.
	s.handle("GET /images/{rest...}", func(w http.ResponseWriter, r *http.Request) error {
		name, action := splitImagePath(r.PathValue("rest"))
		switch action {
		case "json":
			return s.imageInspect(w, r, name)
		case "history":
			return s.imageHistory(w, r, name)
		case "get":
			return s.imagesGet(w, r, []string{name})
		}
		return notFoundf("page not found")
	})
	s.handle("POST /images/{rest...}", func(w http.ResponseWriter, r *http.Request) error {
		name, action := splitImagePath(r.PathValue("rest"))
		switch action {
		case "tag":
			return s.imageTag(w, r, name)
		case "push":
			return s.imagePush(w, r, name)
		}
		return notFoundf("page not found")
	})
	s.handle("DELETE /images/{name...}", s.imageDelete)
}

// splitImagePath splits "localhost:5000/a/b/json" into the name and action.
func splitImagePath(rest string) (name, action string) {
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return "", ""
	}
	return rest[:i], rest[i+1:]
}

// familiar shows "docker.io/library/busybox:latest" as "busybox:latest".
func familiar(refs []string) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, familiarOne(r))
	}
	return out
}

func familiarOne(ref string) string {
	if ref == "" {
		return ""
	}
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		return reference.FamiliarString(named)
	}
	return ref
}

func (s *Server) imageInspect(w http.ResponseWriter, r *http.Request, name string) error {
	img, err := s.cfg.Images.Get(name)
	if err != nil {
		return err
	}
	cfg := img.Config
	resp := imagetypes.InspectResponse{
		ID:           img.ID.String(),
		RepoTags:     familiar(img.RepoTags),
		RepoDigests:  repoDigests(img),
		Author:       cfg.Author,
		Config:       &cfg.Config,
		Architecture: cfg.Architecture,
		Variant:      cfg.Variant,
		Os:           cfg.OS,
		OsVersion:    cfg.OSVersion,
		Size:         img.Size,
		GraphDriver:  graphDriver(),
		RootFS:       imagetypes.RootFS{Type: cfg.RootFS.Type},
	}
	if !img.Created.IsZero() {
		resp.Created = img.Created.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
	}
	if n := len(cfg.History); n > 0 {
		resp.Comment = cfg.History[n-1].Comment
	}
	for _, d := range cfg.RootFS.DiffIDs {
		resp.RootFS.Layers = append(resp.RootFS.Layers, d.String())
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) imageTag(w http.ResponseWriter, r *http.Request, name string) error {
	ref, err := repoTag(r.URL.Query().Get("repo"), r.URL.Query().Get("tag"))
	if err != nil {
		return err
	}
	if ref == "" {
		return invalidf("repository name must have at least one component")
	}
	if err := s.cfg.Images.Tag(name, ref); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

// repoTag joins the repo and tag parameters into a familiar reference,
// "" when repo is empty; latest when no tag is given.
func repoTag(repo, tag string) (string, error) {
	if repo == "" {
		return "", nil
	}
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return "", errdefs.Invalid("invalid reference format: %v", err)
	}
	if _, ok := named.(reference.Canonical); ok {
		return "", invalidf("cannot tag with a digest: %s", repo)
	}
	if tag != "" {
		if named, err = reference.WithTag(reference.TrimNamed(named), tag); err != nil {
			return "", errdefs.Invalid("invalid tag format: %v", err)
		}
	}
	named = reference.TagNameOnly(named)
	if reference.FamiliarName(named) == string(digest.Canonical) {
		return "", invalidf("refusing to create an ambiguous tag using digest algorithm as name")
	}
	return reference.FamiliarString(named), nil
}

func (s *Server) imageDelete(w http.ResponseWriter, r *http.Request) error {
	inUse := func(digest.Digest) string { return "" }
	if u, ok := s.cfg.Containers.(imageUser); ok {
		inUse = u.InUse
	}
	res, err := s.cfg.Images.Delete(r.PathValue("name"), boolValue(r, "force"), inUse)
	if err != nil {
		return err
	}
	out := make([]imagetypes.DeleteResponse, 0, len(res))
	for _, d := range res {
		out = append(out, imagetypes.DeleteResponse{Untagged: familiarOne(d.Untagged), Deleted: d.Deleted})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
