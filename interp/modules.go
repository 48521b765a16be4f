package interp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Get makes a third-party module importable from cells: yaegi reads
// sources from a GOPATH-style tree (<gopath>/src/<import path>), not from
// the module cache, so Get downloads module@version (and, recursively, the
// modules its go.mod requires) with `go mod download -json` and copies each
// into gopath/src. An empty gopath means DefaultGOPATH. It needs the go
// command on PATH. The binary exposes it as `gokernel get module@version`.
//
// Only one version of a module can live in a GOPATH tree: the last Get
// wins. Modules that use cgo, or generics beyond what yaegi supports, fail
// when imported, with yaegi's error.
func Get(ctx context.Context, gopath, moduleAtVersion string, log io.Writer) error {
	if gopath == "" {
		gopath = DefaultGOPATH()
	}
	if !strings.Contains(moduleAtVersion, "@") {
		moduleAtVersion += "@latest"
	}
	seen := map[string]bool{}
	return get(ctx, gopath, moduleAtVersion, log, seen)
}

func get(ctx context.Context, gopath, mv string, log io.Writer, seen map[string]bool) error {
	path, _, _ := strings.Cut(mv, "@")
	if seen[path] {
		return nil
	}
	seen[path] = true
	tmp, err := os.MkdirTemp("", "gokernel-get")
	if err != nil {
		return fmt.Errorf("interp: get %s: %w", mv, err)
	}
	defer os.RemoveAll(tmp)
	// Outside any module, so the project's go.mod is not touched.
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mv)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Path, Version, Dir, GoMod, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return fmt.Errorf("interp: get %s: %s", mv, info.Error)
	}
	if err != nil {
		return fmt.Errorf("interp: get %s: go mod download: %v: %s", mv, err, strings.TrimSpace(stderr.String()))
	}
	dst := filepath.Join(gopath, "src", filepath.FromSlash(info.Path))
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("interp: get %s: %w", mv, err)
	}
	if err := copyTree(info.Dir, dst); err != nil {
		return fmt.Errorf("interp: get %s: %w", mv, err)
	}
	if log != nil {
		fmt.Fprintf(log, "%s@%s -> %s\n", info.Path, info.Version, dst)
	}
	for _, req := range requires(info.GoMod) {
		if err := get(ctx, gopath, req, log, seen); err != nil {
			return err
		}
	}
	return nil
}

// requires lists "path@version" of a go.mod's require directives.
func requires(gomod string) []string {
	f, err := os.Open(gomod)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	block := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "require (":
			block = true
			continue
		case block && line == ")":
			block = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !block:
			continue
		}
		if fs := strings.Fields(line); len(fs) == 2 {
			out = append(out, fs[0]+"@"+fs[1])
		}
	}
	return out
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
