//go:build !windows

package awsv2_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/processcreds/processcreds/bindings/go/awsv2"
)

// Through aws-sdk-go-v2's aws.CredentialsCache: Expires brings the cache back when the refresh
// window opens; that Retrieve returns the valid credentials while the background refresh's
// helper is held, with their real expiry; the refreshed credentials come next, and the helper
// ran once for the refresh.
func TestRefreshWindowThroughCredentialsCache(t *testing.T) {
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	write := func(name, text string) {
		if err := os.WriteFile(file(name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(name string) bool { _, err := os.Stat(file(name)); return err == nil }
	runs := func() int { b, _ := os.ReadFile(file("runs")); return strings.Count(string(b), "x") }
	creds := func(key string, at time.Time) string {
		return fmt.Sprintf(`{"Version":1,"AccessKeyId":%q,"SecretAccessKey":"SECRETV2","Expiration":%q}`,
			key, at.UTC().Format(time.RFC3339))
	}
	// Run N counts itself; run 2 waits for release.2; run 1 prints out.1, later runs out.
	cmd := fmt.Sprintf(`d='%s'; echo x >> "$d/runs"; n=$(wc -l < "$d/runs" | tr -d ' ')
if [ "$n" = 2 ]; then : > "$d/started.2"; while [ ! -f "$d/release.2" ] && [ -d "$d" ]; do sleep 0.01; done; fi
if [ "$n" = 1 ]; then cat "$d/out.1"; else cat "$d/out"; fi`, dir)
	const window = time.Minute
	expiry := time.Now().Add(window + 2*time.Second).Truncate(time.Second)
	newExpiry := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	write("out.1", creds("AKOLD", expiry))
	write("out", creds("AKNEW", newExpiry))
	// A failing test does not leave the held helper waiting.
	t.Cleanup(func() { _ = os.WriteFile(file("release.2"), nil, 0o600) })

	p := awsv2.NewProvider(cmd, func(o *awsv2.Options) { o.RefreshWindow = window })
	defer p.Close()
	cache := aws.NewCredentialsCache(p)
	ctx := context.Background()
	c, err := cache.Retrieve(ctx)
	if err != nil || c.AccessKeyID != "AKOLD" {
		t.Fatalf("first Retrieve: %q %v", c.AccessKeyID, err)
	}
	if !c.Expires.Equal(expiry.Add(-window)) {
		t.Fatalf("Expires %v, want the window's start %v", c.Expires, expiry.Add(-window))
	}
	for time.Now().Before(expiry.Add(-window)) {
		time.Sleep(10 * time.Millisecond)
	}
	c, err = cache.Retrieve(ctx)
	if err != nil || c.AccessKeyID != "AKOLD" || !c.Expires.Equal(expiry) {
		t.Fatalf("Retrieve in the window: %q %v %v", c.AccessKeyID, c.Expires, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !exists("started.2") {
		if time.Now().After(deadline) {
			t.Fatal("no background refresh started")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if exists("release.2") || runs() != 2 {
		t.Fatal("the Retrieve in the window did not return while the helper was held")
	}
	write("release.2", "")
	deadline = time.Now().Add(20 * time.Second)
	for {
		cache.Invalidate()
		c, err = cache.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.AccessKeyID == "AKNEW" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the refreshed credentials never came")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !c.Expires.Equal(newExpiry.Add(-window)) {
		t.Fatalf("Expires %v, want %v", c.Expires, newExpiry.Add(-window))
	}
	if n := runs(); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
}
