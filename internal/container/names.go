package container

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/wharf/wharf/internal/errdefs"
)

// Word lists for generated names (adjective_surname, like Docker's).
var (
	adjectives = []string{
		"agile", "amber", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "daring",
		"eager", "elated", "epic", "fearless", "fervent", "gentle", "happy", "hardy", "humble", "jolly",
		"keen", "kind", "lively", "lucid", "merry", "mellow", "nimble", "noble", "patient", "plucky",
		"quiet", "quirky", "rapid", "serene", "sharp", "silent", "snappy", "steady", "sunny", "swift",
		"tender", "tidy", "upbeat", "vibrant", "vivid", "witty", "zealous", "zen",
	}
	surnames = []string{
		"agnesi", "babbage", "bardeen", "bose", "cannon", "curie", "darwin", "dijkstra", "einstein", "euler",
		"faraday", "fermat", "feynman", "franklin", "galileo", "gauss", "germain", "goodall", "hamilton", "hopper",
		"hypatia", "joliot", "kepler", "knuth", "lamarr", "leavitt", "lovelace", "maxwell", "meitner", "mendel",
		"newton", "noether", "pascal", "pasteur", "planck", "raman", "ritchie", "sagan", "shannon", "somerville",
		"tesla", "thompson", "turing", "volta", "wilson", "wozniak", "yalow", "zuse",
	}
)

var namePattern = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// validateName checks a user-given name and returns it without the "/".
func validateName(name string) (string, error) {
	if !namePattern.MatchString(name) {
		return "", errdefs.Invalid("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	return strings.TrimPrefix(name, "/"), nil
}

func randomIndex(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err)
	}
	return int(v.Int64())
}

// generateName picks adjective_surname; after a few collisions a digit is
// appended, as Docker does.
func generateName(taken func(string) bool) string {
	for i := 0; ; i++ {
		name := adjectives[randomIndex(len(adjectives))] + "_" + surnames[randomIndex(len(surnames))]
		if i > 5 {
			name = fmt.Sprintf("%s%d", name, randomIndex(10+i))
		}
		if !taken(name) {
			return name
		}
	}
}

// newID returns 64 random hex digits that do not look like a number (a
// purely numeric short ID would be ambiguous with PIDs in tooling).
func newID() string {
	b := make([]byte, 32)
	for {
		if _, err := rand.Read(b); err != nil {
			panic(err)
		}
		id := hex.EncodeToString(b)
		if strings.IndexFunc(id[:12], func(r rune) bool { return r >= 'a' }) >= 0 {
			return id
		}
	}
}

func conflictName(name, id string) error {
	return errdefs.Conflict("Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to remove (or rename) that container to be able to reuse that name.", name, id)
}
