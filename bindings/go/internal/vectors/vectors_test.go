package vectors

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVectorsWellFormed checks the vector files themselves: every case loads (no unknown
// fields), names are unique, each case passes Validate, and in data/ exactly the scripts (and
// noshebang) are executable.
func TestVectorsWellFormed(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "tests", "vectors"))
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if strings.ContainsAny(data, " \t\n'\"") {
		t.Fatalf("the data path %q must not hold spaces or quotes", data)
	}
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no vectors in " + dir)
	}
	seen := map[string]string{}
	for _, c := range cases {
		if f, dup := seen[c.Name]; dup {
			t.Errorf("%s: name %s is also used in %s", c.File, c.Name, f)
		}
		seen[c.Name] = c.File
		for _, p := range Validate(c, data) {
			t.Errorf("%s %s: %s", c.File, c.Name, p)
		}
	}
	entries, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		content, err := os.ReadFile(filepath.Join(data, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		script := bytes.HasPrefix(content, []byte("#!")) || e.Name() == "noshebang"
		if exec := info.Mode()&0o111 != 0; exec != script {
			t.Errorf("data/%s: executable bit is %v, want %v", e.Name(), exec, script)
		}
	}
	t.Logf("%d cases in %s", len(cases), dir)
}
