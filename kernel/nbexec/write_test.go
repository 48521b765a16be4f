package nbexec

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, perm os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), perm); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, perm)
		return p
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("keeps the mode", func(t *testing.T) {
		p := write("private.ipynb", "old", 0o600)
		if err := WriteFile(p, []byte("new")); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != 0o600 || read(p) != "new" {
			t.Fatalf("mode %v, content %q", fi.Mode().Perm(), read(p))
		}
	})
	t.Run("writes through a symlink", func(t *testing.T) {
		real := write("real.ipynb", "old", 0o640)
		os.Mkdir(filepath.Join(dir, "links"), 0o755)
		link := filepath.Join(dir, "links", "link.ipynb")
		if err := os.Symlink("../real.ipynb", link); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(link, []byte("new")); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Lstat(link)
		if fi.Mode()&os.ModeSymlink == 0 {
			t.Fatal("the link became a file")
		}
		if read(real) != "new" {
			t.Fatalf("target holds %q", read(real))
		}
		if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o640 {
			t.Fatalf("target's mode became %v", fi.Mode().Perm())
		}
	})
	t.Run("a dangling symlink gets its target", func(t *testing.T) {
		link := filepath.Join(dir, "dangling.ipynb")
		os.Symlink("made.ipynb", link)
		if err := WriteFile(link, []byte("new")); err != nil {
			t.Fatal(err)
		}
		if read(filepath.Join(dir, "made.ipynb")) != "new" {
			t.Fatal("target not written")
		}
	})
	t.Run("never touches NAME.tmp", func(t *testing.T) {
		p := write("nb.ipynb", "old", 0o644)
		tmp := write("nb.ipynb.tmp", "mine", 0o644)
		if err := WriteFile(p, []byte("new")); err != nil {
			t.Fatal(err)
		}
		if read(tmp) != "mine" || read(p) != "new" {
			t.Fatalf("tmp %q, notebook %q", read(tmp), read(p))
		}
	})
	t.Run("refuses a folder", func(t *testing.T) {
		os.Mkdir(filepath.Join(dir, "folder.ipynb"), 0o755)
		if err := WriteFile(filepath.Join(dir, "folder.ipynb"), []byte("x")); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("symlink loop", func(t *testing.T) {
		os.Symlink("loop2", filepath.Join(dir, "loop1"))
		os.Symlink("loop1", filepath.Join(dir, "loop2"))
		if err := WriteFile(filepath.Join(dir, "loop1"), []byte("x")); err == nil || !strings.Contains(err.Error(), "symbolic links") {
			t.Fatalf("err = %v", err)
		}
	})
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	tests := []struct{ path, wantErr string }{
		{filepath.Join(dir, "new.ipynb"), ""},
		{filepath.Join(dir, "file"), ""},
		{filepath.Join(dir, "missing", "nb.ipynb"), "does not exist"},
		{filepath.Join(dir, "file", "nb.ipynb"), "not a folder"},
		{filepath.Join(dir, "sub"), "not a regular file"},
	}
	if fi, err := os.Stat("/sys"); err == nil && fi.IsDir() && runtime.GOOS == "linux" {
		// sysfs takes no new files, whoever asks (root included, whom
		// permission bits would not stop).
		tests = append(tests, struct{ path, wantErr string }{"/sys/nb.ipynb", "cannot create files in /sys"})
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			err := CheckWritable(tt.path)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("CheckWritable(%s) = %v, want %q", tt.path, err, tt.wantErr)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("CheckWritable left files: %v", entries)
	}
}
