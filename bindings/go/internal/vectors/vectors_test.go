package vectors

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/processcreds/processcreds/bindings/go/internal/capi"
)

// TestStatusNamesAreTheLibrarys: the status names the vectors use (StatusCode, which Validate
// holds every case to) are the C library's, each the name of its PC_STATUS_* number.
func TestStatusNamesAreTheLibrarys(t *testing.T) {
	numbers := map[string]capi.Status{}
	for s := capi.StatusOK; s.String() != "PC_STATUS_UNKNOWN"; s++ {
		numbers[s.String()] = s
	}
	if numbers["PC_STATUS_INTERNAL"] != capi.StatusInternal || numbers["PC_STATUS_CANCELED"] != capi.StatusCanceled ||
		numbers["PC_STATUS_NOT_CACHED"] != capi.StatusNotCached || len(numbers) != int(capi.StatusNotCached)+1 {
		t.Fatalf("the library's statuses: %v", numbers)
	}
	want := map[string]capi.Status{
		"PC_STATUS_EXECUTION": capi.StatusExecution,
		"PC_STATUS_TIMEOUT":   capi.StatusTimeout,
		"PC_STATUS_PARSE":     capi.StatusParse,
		"PC_STATUS_VERSION":   capi.StatusVersion,
		"PC_STATUS_REQUIRED":  capi.StatusRequired,
	}
	for name := range StatusCode {
		if s, ok := numbers[name]; !ok || s != want[name] {
			t.Errorf("StatusCode names %s, which is not the library's name of status %d", name, want[name])
		}
	}
	if len(StatusCode) != len(want) {
		t.Errorf("StatusCode has %d statuses, the runs can give %d", len(StatusCode), len(want))
	}
}

// TestVectorsWellFormed checks the vector files themselves: every case loads (no unknown
// fields), names are unique, each case passes Validate, and in data/ (and its folders) exactly
// the scripts (and noshebang) are executable (not checked on Windows, which has no such bit).
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
	if runtime.GOOS != "windows" {
		err = filepath.WalkDir(data, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			content, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(data, path)
			script := bytes.HasPrefix(content, []byte("#!")) || e.Name() == "noshebang"
			if exec := info.Mode()&0o111 != 0; exec != script {
				t.Errorf("data/%s: executable bit is %v, want %v", rel, exec, script)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d cases in %s", len(cases), dir)
}
