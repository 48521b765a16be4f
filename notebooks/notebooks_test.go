package notebooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type notebook struct {
	NBFormat int `json:"nbformat"`
	Metadata struct {
		Kernelspec struct {
			Name        string `json:"name"`
			DisplayName string `json:"display_name"`
			Language    string `json:"language"`
		} `json:"kernelspec"`
		LanguageInfo map[string]any `json:"language_info"`
	} `json:"metadata"`
	Cells []struct {
		CellType       string          `json:"cell_type"`
		ID             string          `json:"id"`
		Source         json.RawMessage `json:"source"`
		Outputs        []any           `json:"outputs"`
		ExecutionCount *int            `json:"execution_count"`
	} `json:"cells"`
}

func notebooks(t *testing.T) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".ipynb_checkpoints") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".ipynb") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func TestLint(t *testing.T) {
	paths := notebooks(t)
	if len(paths) == 0 {
		t.Fatal("no notebooks found")
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var nb notebook
			if err := json.Unmarshal(b, &nb); err != nil {
				t.Fatalf("not valid JSON: %v", err)
			}
			if nb.NBFormat != 4 {
				t.Errorf("nbformat %d, want 4", nb.NBFormat)
			}
			ks := nb.Metadata.Kernelspec
			if ks.Name != "gokernel" || ks.Language != "go" || ks.DisplayName == "" {
				t.Errorf("kernelspec = %+v, want name gokernel, language go", ks)
			}
			for k, v := range nb.Metadata.LanguageInfo {
				if s, ok := v.(string); ok && s == "" {
					t.Errorf("language_info.%s is empty (nbconvert then highlights Go as Python)", k)
				}
			}
			if nb.Metadata.LanguageInfo["name"] != "go" {
				t.Errorf("language_info.name = %v, want go", nb.Metadata.LanguageInfo["name"])
			}
			ids := map[string]bool{}
			code := 0
			for i, c := range nb.Cells {
				if c.ID == "" || ids[c.ID] {
					t.Errorf("cell %d: missing or duplicate id %q", i, c.ID)
				}
				ids[c.ID] = true
				if c.CellType != "code" {
					continue
				}
				code++
				if strings.HasPrefix(filepath.ToSlash(p), "lessons/") || strings.HasPrefix(filepath.ToSlash(p), "experiments/") {
					if len(c.Outputs) > 0 || c.ExecutionCount != nil {
						t.Errorf("cell %d has committed outputs; lessons are stored clean (see README)", i)
					}
				}
			}
			if code == 0 {
				t.Errorf("no code cells")
			}
		})
	}
}
