//go:build !windows

package processcreds_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"

	"github.com/processcreds/processcreds/bindings/go"
)

// sleeper is a helper that counts its runs in dir/runs, writes its pid (a process group
// leader's: the tests run without a terminal) to dir/pid and a `sleep` child's to dir/child,
// sleeps `secs`, then prints credentials.
func sleeper(t *testing.T, secs string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = helper(t, `d='`+dir+`'
echo x >> "$d/runs"
echo $$ > "$d/pid.tmp"; mv "$d/pid.tmp" "$d/pid"
sleep 120 & echo $! > "$d/child.tmp"; mv "$d/child.tmp" "$d/child"
sleep `+secs+`
kill $! 2>/dev/null
printf '%s' '{"Version":1,"AccessKeyId":"AKIDCTX","SecretAccessKey":"ctx-secret"}'`)
	return path, dir
}

// pidIn waits (bounded) for a pid written by the helper.
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

// dead: the process is gone or a zombie.
func dead(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	rest := s[strings.LastIndexByte(s, ')')+1:]
	f := strings.Fields(rest)
	return len(f) == 0 || f[0] == "Z" || f[0] == "X"
}

// deadWithin waits for both processes to die, at most `bound` after `since`.
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

func TestRetrieveWithContextCancelKillsTheHelpersGroup(t *testing.T) {
	path, dir := sleeper(t, "30")
	p := processcreds.NewProviderArgv([]string{path})
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var ended time.Time
	go func() {
		pidIn(t, filepath.Join(dir, "child"))
		ended = time.Now()
		cancel()
	}()
	_, err := p.RetrieveWithContext(ctx)
	var ae awserr.Error
	if !errors.As(err, &ae) || ae.Code() != "RequestCanceled" || !errors.Is(err, context.Canceled) {
		t.Fatalf("not a RequestCanceled wrapping context.Canceled: %v", err)
	}
	deadWithin(t, ended, 100*time.Millisecond, pidIn(t, filepath.Join(dir, "pid")), pidIn(t, filepath.Join(dir, "child")))
	if runs := strings.Count(readFile(t, filepath.Join(dir, "runs")), "x"); runs != 1 {
		t.Fatalf("%d runs", runs)
	}
}

func TestRetrieveWithContextDeadline(t *testing.T) {
	path, dir := sleeper(t, "30")
	p := processcreds.NewProviderArgv([]string{path})
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := p.RetrieveWithContext(ctx)
	end := time.Now()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("not DeadlineExceeded: %v", err)
	}
	deadWithin(t, end, 100*time.Millisecond, pidIn(t, filepath.Join(dir, "pid")), pidIn(t, filepath.Join(dir, "child")))
}

func TestRetrieveWithContextSucceeds(t *testing.T) {
	path, _ := sleeper(t, "0.1")
	p := processcreds.NewProviderArgv([]string{path})
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := p.RetrieveWithContext(ctx)
	if err != nil || v.AccessKeyID != "AKIDCTX" || v.ProviderName != processcreds.ProviderName {
		t.Fatalf("%v %v", v.AccessKeyID, err)
	}
	// A context that can never end: the blocking path.
	if v, err := p.RetrieveWithContext(context.Background()); err != nil || v.AccessKeyID != "AKIDCTX" {
		t.Fatalf("%v %v", v.AccessKeyID, err)
	}
}

// Credentials.GetWithContext hands its provider a context whose cancellation aws-sdk-go v1
// suppresses (the retrieve is shared): the caller that gives up gets RequestCanceled from
// aws-sdk-go at once, and the run goes on for the others.
func TestGetWithContextSharesTheRun(t *testing.T) {
	path, dir := sleeper(t, "0.4")
	creds := credentials.NewCredentials(processcreds.NewProviderArgv([]string{path}))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var other credentials.Value
	var otherErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		other, otherErr = creds.GetWithContext(context.Background())
	}()
	go func() {
		pidIn(t, filepath.Join(dir, "pid"))
		cancel()
	}()
	_, err := creds.GetWithContext(ctx)
	var ae awserr.Error
	if !errors.As(err, &ae) || ae.Code() != "RequestCanceled" {
		t.Fatalf("the caller that gave up: %v", err)
	}
	wg.Wait()
	if otherErr != nil || other.AccessKeyID != "AKIDCTX" {
		t.Fatalf("the other caller: %v %v", other.AccessKeyID, otherErr)
	}
	if runs := strings.Count(readFile(t, filepath.Join(dir, "runs")), "x"); runs != 1 {
		t.Fatalf("%d runs", runs)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
