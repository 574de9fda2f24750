package cli

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"golang.org/x/sys/unix"
)

// memBytes is a pflag value parsed like docker's -m: "512m", "1g", plain bytes.
type memBytes int64

func (m *memBytes) Set(v string) error {
	n, err := units.RAMInBytes(v)
	*m = memBytes(n)
	return err
}
func (m *memBytes) String() string {
	if *m == 0 {
		return ""
	}
	return units.BytesSize(float64(*m))
}
func (m *memBytes) Type() string { return "bytes" }

// nanoCPUs is --cpus: a decimal number of CPUs stored in billionths.
type nanoCPUs int64

func (c *nanoCPUs) Set(v string) error {
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return fmt.Errorf("failed to parse %v as a rational number", v)
	}
	if r.Sign() < 0 {
		return errors.New("number of CPUs must not be negative")
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return errors.New("value is too precise")
	}
	*c = nanoCPUs(nano.Num().Int64())
	return nil
}
func (c *nanoCPUs) String() string {
	if *c == 0 {
		return ""
	}
	return big.NewRat(int64(*c), 1e9).FloatString(3)
}
func (c *nanoCPUs) Type() string { return "decimal" }

// parseSignal accepts "KILL", "SIGKILL" or a number, as docker does.
func parseSignal(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("Invalid signal: %s", s)
		}
		return n, nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	n := unix.SignalNum(name)
	if n == 0 {
		return 0, fmt.Errorf("Invalid signal: %s", s)
	}
	return int(n), nil
}
