//go:build !windows

package processcreds_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/credentials"

	"github.com/processcreds/processcreds/bindings/go"
)

// gatedHelper is a helper controlled by files in its directory: run N appends its start time
// (Unix seconds) to `runs`; if `gate.N` exists it creates `started.N` and waits for
// `release.N`; it prints `out.N`, else exits 3 if `fail` exists, else prints `out`.
type gatedHelper struct {
	t    testing.TB
	dir  string
	path string
}

func newGatedHelper(t testing.TB) *gatedHelper {
	t.Helper()
	dir := t.TempDir()
	path := helper(t, fmt.Sprintf(`d='%s'
date +%%s.%%N >> "$d/runs"
n=$(wc -l < "$d/runs" | tr -d ' ')
if [ -f "$d/gate.$n" ]; then
  : > "$d/started.$n"
  while [ ! -f "$d/release.$n" ] && [ -d "$d" ]; do sleep 0.01; done
fi
if [ -f "$d/out.$n" ]; then cat "$d/out.$n"; exit 0; fi
[ -f "$d/fail" ] && exit 3
cat "$d/out"`, dir))
	return &gatedHelper{t, dir, path}
}

func (h *gatedHelper) write(name, text string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

func (h *gatedHelper) exists(name string) bool {
	_, err := os.Stat(filepath.Join(h.dir, name))
	return err == nil
}

// runs gives the start time of every run so far.
func (h *gatedHelper) runs() []float64 {
	b, _ := os.ReadFile(filepath.Join(h.dir, "runs"))
	var out []float64
	for _, f := range strings.Fields(string(b)) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func refreshJSON(key string, at time.Time) string {
	return fmt.Sprintf(`{"Version":1,"AccessKeyId":%q,"SecretAccessKey":"SECRETAHEAD","Expiration":%q}`,
		key, at.UTC().Format(time.RFC3339))
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 s for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Through aws-sdk-go v1's credentials.Credentials: inside the refresh window Get keeps
// returning the valid credentials while the background refresh's helper is held; the helper
// runs once for the refresh, and Get then returns the new credentials.
func TestRefreshWindowGetNeverWaits(t *testing.T) {
	h := newGatedHelper(t)
	now := time.Now()
	h.write("out.1", refreshJSON("AKOLD", now.Add(10*time.Minute)))
	h.write("out", refreshJSON("AKNEW", now.Add(2*time.Hour)))
	h.write("gate.2", "")
	t.Cleanup(func() { _ = os.WriteFile(filepath.Join(h.dir, "release.2"), nil, 0o600) })
	creds := processcreds.NewCredentials(h.path, func(p *processcreds.ProcessProvider) {
		p.RefreshWindow = time.Hour
	})
	if v, err := creds.Get(); err != nil || v.AccessKeyID != "AKOLD" {
		t.Fatalf("first Get: %v %v", v.AccessKeyID, err)
	}
	var calls [4]atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				v, err := creds.Get()
				if err != nil || (v.AccessKeyID != "AKOLD" && v.AccessKeyID != "AKNEW") {
					t.Errorf("Get: %q %v", v.AccessKeyID, err)
					return
				}
				calls[i].Add(1)
			}
		}()
	}
	waitFor(t, "the background refresh to start", func() bool { return h.exists("started.2") })
	var held [4]int64
	for i := range calls {
		held[i] = calls[i].Load()
	}
	waitFor(t, "100 Gets per goroutine while the helper is held", func() bool {
		for i := range calls {
			if calls[i].Load() < held[i]+100 {
				return false
			}
		}
		return true
	})
	if n := len(h.runs()); n != 2 {
		t.Fatalf("%d runs while the refresh is held, want 2", n)
	}
	h.write("release.2", "")
	waitFor(t, "Get to return the refreshed credentials", func() bool {
		v, err := creds.Get()
		return err == nil && v.AccessKeyID == "AKNEW"
	})
	stop.Store(true)
	wg.Wait()
	if n := len(h.runs()); n != 2 {
		t.Fatalf("%d runs, want 2 (one for the refresh)", n)
	}
	// Expire then Get runs the helper, as without a window.
	creds.Expire()
	if _, err := creds.Get(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.runs()); n != 3 {
		t.Fatalf("%d runs after Expire and Get, want 3", n)
	}
}

// A helper that fails inside the window: no Get fails before the expiry, every Get after it
// returns aws-sdk-go v1's error, and the background attempts keep the back-off.
func TestRefreshWindowFailingHelper(t *testing.T) {
	h := newGatedHelper(t)
	expiry := time.Now().Add(4 * time.Second).Truncate(time.Second)
	h.write("out.1", refreshJSON("AKOLD", expiry))
	h.write("fail", "")
	creds := processcreds.NewCredentials(h.path, func(p *processcreds.ProcessProvider) {
		p.RefreshWindow = time.Minute
	})
	if v, err := creds.Get(); err != nil || v.AccessKeyID != "AKOLD" {
		t.Fatalf("first Get: %v %v", v.AccessKeyID, err)
	}
	type result struct {
		ok   int
		when time.Time
		err  error
	}
	results := make(chan result, 4)
	for range 4 {
		go func() {
			ok := 0
			for {
				v, err := creds.Get()
				if err != nil {
					results <- result{ok, time.Now(), err}
					return
				}
				if v.AccessKeyID != "AKOLD" {
					results <- result{ok, time.Now(), fmt.Errorf("got %q", v.AccessKeyID)}
					return
				}
				ok++
				time.Sleep(time.Millisecond)
			}
		}()
	}
	for range 4 {
		r := <-results
		if r.ok == 0 {
			t.Error("no Get succeeded before the expiry")
		}
		if r.when.Before(expiry) {
			t.Errorf("an error %v before the expiry: %v", expiry.Sub(r.when), r.err)
		}
		want := "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3"
		if r.err.Error() != want {
			t.Errorf("error %q, want %q", r.err.Error(), want)
		}
	}
	var background []float64
	for _, s := range h.runs()[1:] {
		if s < float64(expiry.UnixNano())/1e9 {
			background = append(background, s)
		}
	}
	if len(background) < 2 || len(background) > 4 {
		t.Fatalf("background attempts %v", background)
	}
	for i := 1; i < len(background); i++ {
		if gap, backoff := background[i]-background[i-1], float64(int(1)<<(i-1)); gap < backoff {
			t.Errorf("attempt %d came %.3f s after the one before (back-off %v s)", i+1, gap, backoff)
		}
	}
}

// Without a RefreshWindow the provider behaves as aws-sdk-go v1's: IsExpired stays false inside
// what would be the window and nothing runs in the background.
func TestNoRefreshWindowNoBackgroundRun(t *testing.T) {
	h := newGatedHelper(t)
	h.write("out", refreshJSON("AKZERO", time.Now().Add(10*time.Minute)))
	creds := processcreds.NewCredentials(h.path)
	for range 100 {
		if _, err := creds.Get(); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.runs()); n != 1 {
		t.Fatalf("%d runs, want 1", n)
	}
	var _ credentials.Provider = &processcreds.ProcessProvider{}
}
