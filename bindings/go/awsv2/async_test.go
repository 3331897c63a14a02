//go:build !windows

package awsv2_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/processcreds/processcreds/bindings/go/awsv2"
)

// sleeper is a helper that writes its pid (a process group leader's) to dir/pid and a `sleep`
// child's to dir/child, counts its runs in dir/runs, sleeps `secs`, then prints credentials.
func sleeper(t *testing.T, secs string) (command, dir string) {
	t.Helper()
	dir = t.TempDir()
	script := filepath.Join(dir, "helper.sh")
	body := fmt.Sprintf(`#!/bin/sh
d='%s'
echo x >> "$d/runs"
echo $$ > "$d/pid.tmp"; mv "$d/pid.tmp" "$d/pid"
sleep 120 & echo $! > "$d/child.tmp"; mv "$d/child.tmp" "$d/child"
sleep %s
kill $! 2>/dev/null
printf '%%s' '{"Version":1,"AccessKeyId":"AKIDV2CTX","SecretAccessKey":"s"}'
`, dir, secs)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, dir
}

func pidIn(t *testing.T, file string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(file); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				return pid
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no pid in %s", file)
	return 0
}

func dead(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) == 0 || f[0] == "Z" || f[0] == "X"
}

func deadWithin(t *testing.T, since time.Time, bound time.Duration, pids ...int) {
	t.Helper()
	for _, pid := range pids {
		for !dead(pid) {
			if time.Since(since) > bound {
				t.Fatalf("process %d alive %v after the context ended", pid, time.Since(since))
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func TestContextDeadlineKillsTheHelpersGroup(t *testing.T) {
	cmd, dir := sleeper(t, "30")
	p := awsv2.NewProvider(cmd)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := p.Retrieve(ctx)
	end := time.Now()
	var pe *awsv2.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("not a ProviderError: %v", err)
	}
	deadWithin(t, end, 100*time.Millisecond, pidIn(t, filepath.Join(dir, "pid")), pidIn(t, filepath.Join(dir, "child")))
}

// A deadline later than the provider's own timeout: the context's end cancels the request.
func TestContextDeadlineBeyondTheTimeout(t *testing.T) {
	cmd, dir := sleeper(t, "30")
	p := awsv2.NewProvider(cmd, func(o *awsv2.Options) { o.Timeout = time.Minute })
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var ended time.Time
	go func() {
		pidIn(t, filepath.Join(dir, "child"))
		ended = time.Now()
		cancel()
	}()
	_, err := p.Retrieve(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("not context.Canceled: %v", err)
	}
	deadWithin(t, ended, 100*time.Millisecond, pidIn(t, filepath.Join(dir, "pid")), pidIn(t, filepath.Join(dir, "child")))
}

// Goroutines retrieving at once share one run; one of them giving up leaves the run to the rest.
func TestContextPartialCancel(t *testing.T) {
	cmd, dir := sleeper(t, "0.4")
	p := awsv2.NewProvider(cmd)
	defer p.Close()
	quitter, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, 8)
	keys := make([]string, 8)
	for i := range errs {
		ctx := context.Background()
		if i == 0 {
			ctx = quitter
		}
		wg.Add(1)
		go func(i int, ctx context.Context) {
			defer wg.Done()
			c, err := p.Retrieve(ctx)
			keys[i], errs[i] = c.AccessKeyID, err
		}(i, ctx)
	}
	pidIn(t, filepath.Join(dir, "pid"))
	time.Sleep(50 * time.Millisecond)
	cancel()
	wg.Wait()
	if !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("the one that gave up: %v", errs[0])
	}
	for i := 1; i < len(errs); i++ {
		if errs[i] != nil || keys[i] != "AKIDV2CTX" {
			t.Fatalf("retrieve %d: %q %v", i, keys[i], errs[i])
		}
	}
}
