// Command gotar writes one ModelKit layer tar with Go's archive/tar, using
// the header settings the KitOps CLI uses (see docs/modelkit.md). The real
// kit cannot be built in our test environment, so this program stands in
// for it when checking that stele's layers are byte-identical.
//
// Usage: gotar -C CONTEXT -layer PATH [-also PATH]... -o OUT.tar
//
// -also names the other layer paths of the Kitfile, which kit excludes from
// this layer when they are nested below it.
package main

import (
	"archive/tar"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	if dir == "." {
		return true
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// nestedElsewhere applies kit's rule: a path inside another layer that is
// itself below this layer belongs to that other layer only.
func nestedElsewhere(p, layer string, others []string) bool {
	for _, o := range others {
		o = filepath.Clean(o)
		if within(layer, o) {
			continue
		}
		if within(p, o) {
			return true
		}
	}
	return false
}

// kitDefaultIgnored mirrors the patterns kit always adds to .kitignore:
// the Kitfile names and .kitignore itself, at the context root.
func kitDefaultIgnored(p string) bool {
	for _, n := range []string{"Kitfile", "kitfile", ".kitfile", ".kitignore"} {
		if within(p, n) {
			return true
		}
	}
	return false
}

// sameTree decides like kit whether two paths are on one branch.
func sameTree(a, b string) bool {
	ab, e1 := filepath.Rel(a, b)
	ba, e2 := filepath.Rel(b, a)
	if e1 != nil || e2 != nil {
		return false
	}
	return !(strings.Contains(ab, "..") && strings.Contains(ba, ".."))
}

func header(name string, fi os.FileInfo) (*tar.Header, error) {
	h, err := tar.FileInfoHeader(fi, "")
	if err != nil {
		return nil, err
	}
	h.Name = filepath.ToSlash(name)
	h.AccessTime = time.Time{}
	h.ModTime = time.Time{}
	h.ChangeTime = time.Time{}
	h.Uid = 1000
	h.Gid = 0
	h.Uname = ""
	h.Gname = ""
	return h, nil
}

func writeLayer(base string, others []string, tw *tar.Writer) error {
	return filepath.Walk(".", func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if !fi.Mode().IsRegular() && !fi.IsDir() {
			return nil
		}
		if !sameTree(base, p) {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if kitDefaultIgnored(p) || nestedElsewhere(p, base, others) {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		h, err := header(p, fi)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.IsDir() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
}

// writeHeaderOnly prints the header blocks Go writes for one entry with
// kit's settings; the unit tests compare stele's encoder against them.
func writeHeaderOnly(name string, size int64, mode int64, dir bool) {
	h := &tar.Header{Name: name, Size: size, Mode: mode,
		Typeflag: tar.TypeReg, Uid: 1000}
	if dir {
		h.Typeflag = tar.TypeDir
		h.Size = 0
	}
	tw := tar.NewWriter(os.Stdout)
	if err := tw.WriteHeader(h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tw.Flush()
}

func main() {
	if len(os.Args) == 6 && os.Args[1] == "-header" {
		var size, mode int64
		fmt.Sscan(os.Args[3], &size)
		fmt.Sscanf(os.Args[4], "%o", &mode)
		writeHeaderOnly(os.Args[2], size, mode, os.Args[5] == "d")
		return
	}
	var ctx, layer, out string
	var others list
	flag.StringVar(&ctx, "C", ".", "context directory")
	flag.StringVar(&layer, "layer", "", "layer path")
	flag.Var(&others, "also", "another layer path of the Kitfile")
	flag.StringVar(&out, "o", "", "output tar")
	flag.Parse()
	if layer == "" || out == "" {
		fmt.Fprintln(os.Stderr, "usage: gotar -C DIR -layer PATH -o OUT")
		os.Exit(2)
	}
	f, err := os.Create(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.Chdir(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tw := tar.NewWriter(f)
	if err := writeLayer(filepath.Clean(layer), others, tw); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := tw.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
