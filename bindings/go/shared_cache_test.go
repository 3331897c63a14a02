//go:build !windows

package processcreds_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// countingHelper prints the key id AKIDRUN<n> for its n-th run, valid for an hour.
func countingHelper(t *testing.T) (path string, runs func() int) {
	t.Helper()
	count := filepath.Join(t.TempDir(), "runs")
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	path = helper(t, fmt.Sprintf(`echo x >> '%s'
n=$(wc -l < '%s' | tr -d ' ')
printf '{"Version":1,"AccessKeyId":"AKIDRUN%%s","SecretAccessKey":"s-%%s","Expiration":"%s"}' "$n" "$n"`,
		count, count, exp))
	return path, func() int {
		b, err := os.ReadFile(count)
		if err != nil {
			return 0
		}
		return strings.Count(string(b), "x")
	}
}

// SharedCacheKey and SharedCacheEnv separate entries, on ProcessProvider and awsv2.Options.
func TestSharedCacheKeyAndEnv(t *testing.T) {
	t.Setenv("PROCESSCREDS_CACHE_DIR", filepath.Join(t.TempDir(), "cache"))
	path, runs := countingHelper(t)
	get := func(opt func(*processcreds.ProcessProvider)) string {
		v, err := processcreds.NewCredentials(path, func(p *processcreds.ProcessProvider) {
			p.SharedCache = true
			opt(p)
		}).Get()
		if err != nil {
			t.Fatal(err)
		}
		return v.AccessKeyID
	}
	none := func(*processcreds.ProcessProvider) {}
	key := func(k string) func(*processcreds.ProcessProvider) {
		return func(p *processcreds.ProcessProvider) { p.SharedCacheKey = k }
	}
	env := func(names ...string) func(*processcreds.ProcessProvider) {
		return func(p *processcreds.ProcessProvider) { p.SharedCacheEnv = names }
	}
	t.Setenv("TOKEN_FILE", "/a")
	for i, c := range []struct {
		opt  func(*processcreds.ProcessProvider)
		want string
	}{
		{none, "AKIDRUN1"},
		{key("prod"), "AKIDRUN2"},
		{key("prod"), "AKIDRUN2"},
		{env("TOKEN_FILE"), "AKIDRUN3"},
		{env("TOKEN_FILE", "TOKEN_FILE"), "AKIDRUN3"},
		{none, "AKIDRUN1"},
	} {
		if got := get(c.opt); got != c.want {
			t.Fatalf("case %d: got %s, want %s", i, got, c.want)
		}
	}
	t.Setenv("TOKEN_FILE", "/b")
	if got := get(env("TOKEN_FILE")); got != "AKIDRUN4" {
		t.Fatalf("another TOKEN_FILE: got %s", got)
	}
	// awsv2: the same key parts give the same entries.
	p := awsv2.NewProvider(path, func(o *awsv2.Options) {
		o.SharedCache = true
		o.SharedCacheKey = "prod"
	})
	defer p.Close()
	v, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v.AccessKeyID != "AKIDRUN2" || runs() != 4 {
		t.Fatalf("awsv2 with SharedCacheKey: %s, runs %d", v.AccessKeyID, runs())
	}
	// A name the library refuses is an error of Retrieve.
	if _, err := processcreds.NewCredentials(path, func(p *processcreds.ProcessProvider) {
		p.SharedCache = true
		p.SharedCacheEnv = []string{"A=B"}
	}).Get(); err == nil {
		t.Fatal("a variable name with '=' was accepted")
	}
}

// Expiring credentials (credentials.Credentials.Expire, ProcessProvider.Expire, awsv2's
// CredentialsCache.Invalidate) invalidates the shared entry they came from.
func TestSharedCacheExpire(t *testing.T) {
	t.Setenv("PROCESSCREDS_CACHE_DIR", filepath.Join(t.TempDir(), "cache"))
	path, runs := countingHelper(t)
	shared := func(p *processcreds.ProcessProvider) { p.SharedCache = true }
	first, err := processcreds.NewCredentials(path, shared).Get()
	if err != nil || first.AccessKeyID != "AKIDRUN1" {
		t.Fatalf("%v %v", first.AccessKeyID, err)
	}
	// Another Credentials is served the entry, expires it and gets new credentials.
	c := processcreds.NewCredentials(path, shared)
	v, err := c.Get()
	if err != nil || v.AccessKeyID != "AKIDRUN1" {
		t.Fatalf("served: %v %v", v.AccessKeyID, err)
	}
	c.Expire()
	v, err = c.Get()
	if err != nil || v.AccessKeyID != "AKIDRUN2" || runs() != 2 {
		t.Fatalf("after Expire: %v %v, runs %d", v.AccessKeyID, err, runs())
	}
	// The provider's own Expire, then Retrieve.
	pp := processcreds.NewProvider(path, shared)
	defer pp.Close()
	if v, err := pp.Retrieve(); err != nil || v.AccessKeyID != "AKIDRUN2" {
		t.Fatalf("%v %v", v.AccessKeyID, err)
	}
	pp.Expire()
	if v, err := pp.Retrieve(); err != nil || v.AccessKeyID != "AKIDRUN3" {
		t.Fatalf("after ProcessProvider.Expire: %v %v", v.AccessKeyID, err)
	}
	// awsv2 behind aws.CredentialsCache: Invalidate, then Retrieve.
	p := awsv2.NewProvider(path, func(o *awsv2.Options) { o.SharedCache = true })
	defer p.Close()
	cache := aws.NewCredentialsCache(p)
	ctx := context.Background()
	if v, err := cache.Retrieve(ctx); err != nil || v.AccessKeyID != "AKIDRUN3" {
		t.Fatalf("awsv2: %v %v", v.AccessKeyID, err)
	}
	cache.Invalidate()
	if v, err := cache.Retrieve(ctx); err != nil || v.AccessKeyID != "AKIDRUN4" {
		t.Fatalf("awsv2 after Invalidate: %v %v", v.AccessKeyID, err)
	}
	if runs() != 4 {
		t.Fatalf("runs = %d, want 4", runs())
	}
}
