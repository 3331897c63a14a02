//go:build !windows

package awsv2_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/processcreds/processcreds/bindings/go/awsv2"
	"github.com/processcreds/processcreds/bindings/go/internal/testproc"
)

func TestContextDeadlineKillsTheHelpersGroup(t *testing.T) {
	cmd, dir := testproc.Sleeper(t, "30", "AKIDV2CTX")
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
	testproc.DeadWithin(t, end, 100*time.Millisecond, testproc.PidIn(t, filepath.Join(dir, "pid")), testproc.PidIn(t, filepath.Join(dir, "child")))
}

// A deadline later than the provider's own timeout: the context's end cancels the request.
func TestContextDeadlineBeyondTheTimeout(t *testing.T) {
	cmd, dir := testproc.Sleeper(t, "30", "AKIDV2CTX")
	p := awsv2.NewProvider(cmd, func(o *awsv2.Options) { o.Timeout = time.Minute })
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var ended time.Time
	go func() {
		testproc.PidIn(t, filepath.Join(dir, "child"))
		ended = time.Now()
		cancel()
	}()
	_, err := p.Retrieve(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("not context.Canceled: %v", err)
	}
	testproc.DeadWithin(t, ended, 100*time.Millisecond, testproc.PidIn(t, filepath.Join(dir, "pid")), testproc.PidIn(t, filepath.Join(dir, "child")))
}

// Goroutines retrieving at once share one run; one of them giving up leaves the run to the rest.
func TestContextPartialCancel(t *testing.T) {
	cmd, dir := testproc.Sleeper(t, "0.4", "AKIDV2CTX")
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
	testproc.PidIn(t, filepath.Join(dir, "pid"))
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
