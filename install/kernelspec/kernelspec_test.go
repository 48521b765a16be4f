package kernelspec

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKernelsDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", filepath.Join(tmp, "data"))
	t.Setenv("VIRTUAL_ENV", filepath.Join(tmp, "venv"))
	tests := []struct {
		name    string
		opts    Options
		want    string
		wantErr string
	}{
		{name: "user", want: filepath.Join(tmp, "data", "kernels")},
		{name: "prefix", opts: Options{Prefix: filepath.Join(tmp, "p")}, want: filepath.Join(tmp, "p", "share", "jupyter", "kernels")},
		{name: "sys-prefix", opts: Options{SysPrefix: true}, want: filepath.Join(tmp, "venv", "share", "jupyter", "kernels")},
		{name: "explicit", opts: Options{KernelsDir: filepath.Join(tmp, "k")}, want: filepath.Join(tmp, "k")},
		{name: "two places", opts: Options{Prefix: "a", SysPrefix: true}, wantErr: "at most one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := KernelsDir(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("KernelsDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestInstallUninstall(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "built")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{Prefix: filepath.Join(tmp, "env"), Name: "gk-test", Binary: bin, Worker: bin}
	dir, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(tmp, "env", "share", "jupyter", "kernels", "gk-test"); dir != want {
		t.Fatalf("dir = %q, want %q", dir, want)
	}
	var spec Spec
	b, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(spec.Argv[0]) || spec.Argv[0] != filepath.Join(dir, BinaryName) {
		t.Errorf("argv[0] = %q, want the copied binary in the spec dir", spec.Argv[0])
	}
	if got := strings.Join(spec.Argv[1:], " "); got != "kernel -f {connection_file}" {
		t.Errorf("argv tail = %q", got)
	}
	if spec.InterruptMode != "message" || spec.Language != "go" || spec.DisplayName != "Go (gokernel) [gk-test]" {
		t.Errorf("spec = %+v", spec)
	}
	for _, b := range []string{spec.Argv[0], filepath.Join(dir, WorkerName)} {
		if fi, err := os.Stat(b); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s not installed executable: %v", b, err)
		}
	}
	for name, size := range map[string]int{"logo-64x64.png": 64, "logo-32x32.png": 32} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s is %v, want %dx%d", name, b, size, size)
		}
	}
	if svg, err := os.ReadFile(filepath.Join(dir, "logo-svg.svg")); err != nil || !strings.Contains(string(svg), "<svg") {
		t.Errorf("logo-svg.svg: %v", err)
	}

	if _, removed, err := Uninstall(o); err != nil || !removed {
		t.Fatalf("Uninstall = %v, %v", removed, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("spec dir still there: %v", err)
	}
	if _, removed, err := Uninstall(o); err != nil || removed {
		t.Fatalf("second Uninstall = %v, %v; want nothing removed", removed, err)
	}
}

func TestInstallRejects(t *testing.T) {
	tmp := t.TempDir()
	for _, tt := range []struct {
		name string
		opts Options
		want string
	}{
		{"relative command", Options{KernelsDir: tmp, Argv0: "gokernel"}, "absolute path"},
		{"bad name", Options{KernelsDir: tmp, Name: "a/b", Argv0: "/bin/true"}, "invalid kernel name"},
		{"missing binary", Options{KernelsDir: tmp, Binary: filepath.Join(tmp, "nope")}, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Install(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestMemoryLimitEnv(t *testing.T) {
	if s := NewSpec(Options{}, "/k"); s.Env != nil {
		t.Fatalf("no limit: env %v", s.Env)
	}
	s := NewSpec(Options{MemoryLimit: "2GiB"}, "/k")
	if s.Env[EnvMemoryLimit] != "2GiB" {
		t.Fatalf("env %v", s.Env)
	}
}
