//go:build !windows

package processcreds_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"

	"github.com/processcreds/processcreds/bindings/go"
	"github.com/processcreds/processcreds/bindings/go/internal/testproc"
)

func TestRetrieveWithContextCancelKillsTheHelpersGroup(t *testing.T) {
	path, dir := testproc.Sleeper(t, "30", "AKIDCTX")
	p := processcreds.NewProviderArgv([]string{path})
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var ended time.Time
	go func() {
		testproc.PidIn(t, filepath.Join(dir, "child"))
		ended = time.Now()
		cancel()
	}()
	_, err := p.RetrieveWithContext(ctx)
	var ae awserr.Error
	if !errors.As(err, &ae) || ae.Code() != "RequestCanceled" || !errors.Is(err, context.Canceled) {
		t.Fatalf("not a RequestCanceled wrapping context.Canceled: %v", err)
	}
	testproc.DeadWithin(t, ended, 100*time.Millisecond, testproc.PidIn(t, filepath.Join(dir, "pid")), testproc.PidIn(t, filepath.Join(dir, "child")))
	if runs := strings.Count(readFile(t, filepath.Join(dir, "runs")), "x"); runs != 1 {
		t.Fatalf("%d runs", runs)
	}
}

func TestRetrieveWithContextDeadline(t *testing.T) {
	path, dir := testproc.Sleeper(t, "30", "AKIDCTX")
	p := processcreds.NewProviderArgv([]string{path})
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := p.RetrieveWithContext(ctx)
	end := time.Now()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("not DeadlineExceeded: %v", err)
	}
	testproc.DeadWithin(t, end, 100*time.Millisecond, testproc.PidIn(t, filepath.Join(dir, "pid")), testproc.PidIn(t, filepath.Join(dir, "child")))
}

func TestRetrieveWithContextSucceeds(t *testing.T) {
	path, _ := testproc.Sleeper(t, "0.1", "AKIDCTX")
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
	path, dir := testproc.Sleeper(t, "0.4", "AKIDCTX")
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
		testproc.PidIn(t, filepath.Join(dir, "pid"))
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
