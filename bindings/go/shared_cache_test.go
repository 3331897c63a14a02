//go:build !windows

package processcreds_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/credentials"

	"github.com/processcreds/processcreds/bindings/go"
	"github.com/processcreds/processcreds/bindings/go/awsv2"
)

// SharedCache: providers (here in one process, each with its own lock descriptor; across
// processes in tests/shared_cache.rs and cli/tests) share one run of the helper.
func TestSharedCache(t *testing.T) {
	// A directory that does not exist yet: created 0700.
	dir := filepath.Join(t.TempDir(), "cache")
	t.Setenv("PROCESSCREDS_CACHE_DIR", dir)
	path, runs := jsonHelper(t, expiringJSON(time.Now().Add(time.Hour)))

	// Off by default: every Credentials object runs the helper.
	for i := 0; i < 2; i++ {
		if _, err := processcreds.NewCredentials(path).Get(); err != nil {
			t.Fatal(err)
		}
	}
	if runs() != 2 {
		t.Fatalf("runs = %d, want 2", runs())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("cache written with the shared cache off: %v", entries)
	}

	shared := func(p *processcreds.ProcessProvider) { p.SharedCache = true }
	var first credentials.Value
	for i := 0; i < 3; i++ {
		v, err := processcreds.NewCredentials(path, shared).Get()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = v
		} else if v != first {
			t.Fatalf("credentials differ")
		}
	}
	if runs() != 3 {
		t.Fatalf("runs = %d, want 3 (one more for three shared providers)", runs())
	}
	// Retrieve of the drop-in, which aws-sdk-go v1 calls after Expire(), is served too.
	c := processcreds.NewCredentials(path, shared)
	c.Expire()
	if _, err := c.Get(); err != nil {
		t.Fatal(err)
	}
	if runs() != 3 {
		t.Fatalf("runs = %d, want 3", runs())
	}

	// awsv2's option, keyed on the same command string.
	p := awsv2.NewProvider(path, func(o *awsv2.Options) { o.SharedCache = true })
	defer p.Close()
	v2, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v2.AccessKeyID != first.AccessKeyID || v2.SecretAccessKey != first.SecretAccessKey {
		t.Fatalf("awsv2 got other credentials")
	}
	if runs() != 3 {
		t.Fatalf("runs = %d, want 3", runs())
	}
	var entries []string
	list, _ := os.ReadDir(dir)
	for _, e := range list {
		if strings.Contains(e.Name(), "SECRET") {
			t.Fatalf("a file name holds the secret")
		}
		if strings.HasSuffix(e.Name(), ".entry") {
			entries = append(entries, e.Name())
		}
	}
	if len(entries) != 1 {
		t.Fatalf("entries: %v", entries)
	}
}

// A cache directory that others may read (t.TempDir's 0755) is bypassed: the helper runs every
// time, nothing is written, and the directory is left as it is.
func TestSharedCacheUntrustedDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PROCESSCREDS_CACHE_DIR", dir)
	path, runs := jsonHelper(t, expiringJSON(time.Now().Add(time.Hour)))
	for i := 1; i <= 2; i++ {
		c := processcreds.NewCredentials(path, func(p *processcreds.ProcessProvider) { p.SharedCache = true })
		if _, err := c.Get(); err != nil {
			t.Fatal(err)
		}
		if runs() != i {
			t.Fatalf("runs = %d, want %d", runs(), i)
		}
	}
	list, _ := os.ReadDir(dir)
	st, _ := os.Stat(dir)
	if len(list) != 0 || st.Mode().Perm() != 0o755 {
		t.Fatalf("the untrusted directory was touched: %v, %v", list, st.Mode())
	}
}
