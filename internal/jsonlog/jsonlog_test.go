package jsonlog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func readAll(t *testing.T, path string, opts ReadOptions) []Entry {
	t.Helper()
	var got []Entry
	err := Read(context.Background(), path, opts, func(e Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func logs(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Log)
	}
	return b.String()
}

func TestFormatAndSplit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600))
	w.Write("stdout", []byte("hello\nwor"), ts)
	w.Write("stderr", []byte("oops\n"), ts)
	w.Write("stdout", []byte("ld\n\"q\"\n"), ts)
	w.Write("stdout", []byte("tail"), ts)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := `{"log":"hello\n","stream":"stdout","time":"2026-01-02T02:04:05.0000006Z"}` + "\n"
	if !strings.HasPrefix(string(b), want) {
		t.Fatalf("first line:\n%s\nwant\n%s", b, want)
	}
	got := readAll(t, path, ReadOptions{Tail: -1})
	var lines []string
	for _, e := range got {
		lines = append(lines, e.Stream+":"+e.Log)
	}
	exp := []string{"stdout:hello\n", "stderr:oops\n", "stdout:world\n", "stdout:\"q\"\n", "stdout:tail"}
	if fmt.Sprint(lines) != fmt.Sprint(exp) {
		t.Fatalf("got %q want %q", lines, exp)
	}
	if !got[0].Time.Equal(ts) {
		t.Fatalf("time %v want %v", got[0].Time, ts)
	}
}

func writeN(t *testing.T, w *Writer, from, to int, base time.Time) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := w.Write("stdout", fmt.Appendf(nil, "line %04d\n", i), base.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRotationTailSinceUntil(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, 1000, 3)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	writeN(t, w, 0, 40, base) // ~70 bytes a line: 3 files of ~14 lines
	w.Close()
	for _, n := range []string{path, path + ".1", path + ".2"} {
		st, err := os.Stat(n)
		if err != nil || st.Size() > 1000 {
			t.Fatalf("%s: %v %v", n, st, err)
		}
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Fatal("path.3 must not exist with max-file 3")
	}
	all := readAll(t, path, ReadOptions{Tail: -1})
	if len(all) < 30 || all[len(all)-1].Log != "line 0039\n" {
		t.Fatalf("all: %d entries, last %q", len(all), all[len(all)-1].Log)
	}
	for i := 1; i < len(all); i++ {
		if !all[i].Time.After(all[i-1].Time) {
			t.Fatalf("not oldest first at %d", i)
		}
	}
	tail := readAll(t, path, ReadOptions{Tail: 20})
	if len(tail) != 20 || tail[0].Log != "line 0020\n" {
		t.Fatalf("tail: %d first %q", len(tail), tail[0].Log)
	}
	if got := readAll(t, path, ReadOptions{Tail: 0}); len(got) != 0 {
		t.Fatalf("tail 0 gave %d", len(got))
	}
	win := readAll(t, path, ReadOptions{Tail: -1, Since: base.Add(30 * time.Second), Until: base.Add(32 * time.Second)})
	if logs(win) != "line 0030\nline 0031\nline 0032\n" {
		t.Fatalf("since/until: %q", logs(win))
	}
}

func TestTruncateMaxFileOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, _ := NewWriter(path, 500, 1)
	writeN(t, w, 0, 20, time.Now())
	w.Close()
	got := readAll(t, path, ReadOptions{Tail: -1})
	if len(got) == 0 || len(got) > 8 || got[len(got)-1].Log != "line 0019\n" {
		t.Fatalf("got %d, %q", len(got), logs(got))
	}
}

func TestFollowAcrossRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, 2000, 5)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	writeN(t, w, 0, 5, base)

	done := make(chan struct{})
	var mu sync.Mutex
	var got []Entry
	errc := make(chan error, 1)
	first := make(chan struct{})
	go func() {
		errc <- Read(context.Background(), path, ReadOptions{Tail: 2, Follow: true, Done: done}, func(e Entry) error {
			mu.Lock()
			got = append(got, e)
			if len(got) == 1 {
				close(first)
			}
			mu.Unlock()
			return nil
		})
	}()
	<-first
	// Slow writes (follower sees each rotation), then a burst that rotates
	// several times between two polls.
	for i := 5; i < 180; i++ {
		writeN(t, w, i, i+1, base)
		if i < 60 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	w.Close()
	close(done)
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not stop after Done")
	}
	if _, err := os.Stat(path + ".4"); err != nil {
		t.Fatal("test did not rotate twice")
	}
	var want strings.Builder
	for i := 3; i < 180; i++ {
		fmt.Fprintf(&want, "line %04d\n", i)
	}
	if logs(got) != want.String() {
		t.Fatalf("followed:\n%s\nwant\n%s", logs(got), want.String())
	}
}

func TestFollowWaitsForFileAndCtx(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan Entry, 10)
	errc := make(chan error, 1)
	go func() {
		errc <- Read(ctx, path, ReadOptions{Tail: -1, Follow: true}, func(e Entry) error {
			got <- e
			return nil
		})
	}()
	time.Sleep(100 * time.Millisecond)
	w, _ := NewWriter(path, 0, 1)
	defer w.Close()
	w.Write("stderr", []byte("late\n"), time.Now())
	select {
	case e := <-got:
		if e.Log != "late\n" || e.Stream != "stderr" {
			t.Fatalf("got %+v", e)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no entry")
	}
	cancel()
	select {
	case <-errc:
	case <-time.After(3 * time.Second):
		t.Fatal("follow did not stop on ctx")
	}
}

func TestFollowUntilStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, _ := NewWriter(path, 0, 1)
	defer w.Close()
	base := time.Now()
	writeN(t, w, 0, 3, base)
	errc := make(chan error, 1)
	var n int
	go func() {
		errc <- Read(context.Background(), path, ReadOptions{Tail: -1, Follow: true, Until: base.Add(time.Second)}, func(Entry) error {
			n++
			return nil
		})
	}()
	select {
	case <-errc:
	case <-time.After(3 * time.Second):
		t.Fatal("follow past until did not stop")
	}
	if n != 2 {
		t.Fatalf("got %d entries", n)
	}
}
