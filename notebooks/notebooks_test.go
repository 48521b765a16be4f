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
		CellType string `json:"cell_type"`
		ID       string `json:"id"`
		Metadata struct {
			Tags []string `json:"tags"`
		} `json:"metadata"`
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
			slash := filepath.ToSlash(p)
			if strings.HasPrefix(slash, "lessons/") || strings.HasPrefix(slash, "experiments/") {
				checkParameters(t, nb)
			}
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

// checkParameters: the first code cell of a lesson or experiment is its
// parameters cell, tagged "parameters" as papermill expects, so that
// `gokernel execute -p name=value` (and the notebook tests) can inject
// sizes after it; and a stored notebook has no injected cell.
func checkParameters(t *testing.T, nb notebook) {
	t.Helper()
	first := true
	for i, c := range nb.Cells {
		tags := strings.Join(c.Metadata.Tags, ",")
		if strings.Contains(tags, "injected-parameters") {
			t.Errorf("cell %d: an injected-parameters cell is stored; remove it", i)
		}
		if c.CellType != "code" {
			continue
		}
		if first {
			first = false
			if !hasTag(c.Metadata.Tags, "parameters") {
				t.Errorf("cell %d: the first code cell must be tagged \"parameters\" and hold the sizes", i)
			}
		} else if hasTag(c.Metadata.Tags, "parameters") {
			t.Errorf("cell %d: a second cell tagged \"parameters\"", i)
		}
	}
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}
