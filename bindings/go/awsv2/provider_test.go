package awsv2_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	v2pc "github.com/aws/aws-sdk-go-v2/credentials/processcreds"

	"github.com/processcreds/processcreds/bindings/go/awsv2"
	"github.com/processcreds/processcreds/bindings/go/internal/vectors"
)

func helper(t testing.TB, json string) (command string, runs func() int) {
	t.Helper()
	dir := tempDir(t)
	out := filepath.Join(dir, "out.json")
	count := filepath.Join(dir, "runs")
	if err := os.WriteFile(out, []byte(json), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(countAndPrint, count, out), func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "x")
	}
}

const fullJSON = `{"Version":1,"AccessKeyId":"AKIDV2","SecretAccessKey":"SECRETV2","SessionToken":"TOKENV2","Expiration":"%s","AccountId":"123456789012"}`

var (
	_ aws.CredentialsProvider      = (*awsv2.Provider)(nil)
	_ aws.CredentialProviderSource = (*awsv2.Provider)(nil)
)

// The same credentials as aws-sdk-go-v2's own processcreds provider.
func TestAsV2Provider(t *testing.T) {
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	cmd, runs := helper(t, fmt.Sprintf(fullJSON, exp.Format(time.RFC3339)))
	ours := awsv2.NewProvider(cmd)
	defer ours.Close()
	ref := v2pc.NewProvider(cmd)
	got, err := ours.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessKeyID != want.AccessKeyID || got.SecretAccessKey != want.SecretAccessKey || got.SessionToken != want.SessionToken ||
		got.Source != want.Source || got.CanExpire != want.CanExpire || !got.Expires.Equal(want.Expires) || got.AccountID != want.AccountID {
		t.Fatalf("ours key %q source %q expires %v account %q; aws-sdk-go-v2 key %q source %q expires %v account %q",
			got.AccessKeyID, got.Source, got.Expires, got.AccountID, want.AccessKeyID, want.Source, want.Expires, want.AccountID)
	}
	if got.Source != "ProcessProvider" || got.AccountID != "123456789012" || !got.CanExpire {
		t.Fatal("fields")
	}
	// Like aws-sdk-go-v2's provider, Retrieve runs the helper every time.
	if _, err := ours.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := runs(); n != 3 {
		t.Fatalf("%d runs, want 3 (two of ours, one of aws-sdk-go-v2)", n)
	}
	if s := ours.ProviderSources(); len(s) != 1 || s[0] != aws.CredentialSourceProcess {
		t.Fatalf("ProviderSources %v", s)
	}
	custom := awsv2.NewProvider(cmd, func(o *awsv2.Options) {
		o.CredentialSources = []aws.CredentialSource{aws.CredentialSourceProfile, aws.CredentialSourceProcess}
	})
	defer custom.Close()
	if s := custom.ProviderSources(); len(s) != 2 {
		t.Fatalf("ProviderSources %v", s)
	}
}

func TestSignV2(t *testing.T) {
	exp := time.Now().Add(time.Hour).UTC()
	cmd, runs := helper(t, fmt.Sprintf(fullJSON, exp.Format(time.RFC3339)))
	cache := aws.NewCredentialsCache(awsv2.NewProvider(cmd))
	ctx := context.Background()
	creds, err := cache.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("GET", "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	if err != nil {
		t.Fatal(err)
	}
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptySHA256, "sts", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDV2/") {
		t.Fatalf("Authorization does not carry the key id: %q", auth)
	}
	if req.Header.Get("X-Amz-Security-Token") != "TOKENV2" {
		t.Fatal("X-Amz-Security-Token is not the helper's token")
	}
	for i := 0; i < 5; i++ {
		if _, err := cache.Retrieve(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := runs(); n != 1 {
		t.Fatalf("the cache ran the helper %d times", n)
	}
}

func TestErrors(t *testing.T) {
	p := awsv2.NewProvider(oopsExit3, func(o *awsv2.Options) { o.Stderr = awsv2.StderrCapture })
	defer p.Close()
	_, err := p.Retrieve(context.Background())
	var pe *awsv2.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("%T is not a *ProviderError", err)
	}
	want := "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3\nstderr: oops"
	if err.Error() != "process provider error: "+want {
		t.Fatalf("got %q", err)
	}
	var e *awsv2.Error
	if !errors.As(err, &e) || e.Code() != "ProcessProviderExecutionError" || e.Stderr() != "oops" {
		t.Fatalf("unwrapped: %v", e)
	}
	// aws-sdk-go-v2's Timeout 0 means "already timed out"; a negative one means no limit.
	zero := awsv2.NewProvider("echo", func(o *awsv2.Options) { o.Timeout = 0 })
	defer zero.Close()
	if _, err := zero.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), "credential process timed out") {
		t.Fatalf("Timeout 0: %v", err)
	}
	cmd, _ := helper(t, `{"Version":1,"AccessKeyId":"a","SecretAccessKey":"b"}`)
	unlimited := awsv2.NewProvider(cmd, func(o *awsv2.Options) { o.Timeout = -1 })
	defer unlimited.Close()
	c, err := unlimited.Retrieve(context.Background())
	if err != nil || c.CanExpire {
		t.Fatalf("negative Timeout: %v", err)
	}
}

func TestContext(t *testing.T) {
	p := awsv2.NewProvider(sleepOne)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Retrieve(ctx)
	if err == nil || !strings.Contains(err.Error(), "credential process timed out") || time.Since(start) > 3*time.Second {
		t.Fatalf("deadline: %v after %v", err, time.Since(start))
	}
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	start = time.Now()
	_, err = p.Retrieve(ctx)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 3*time.Second {
		t.Fatalf("cancel: %v after %v", err, time.Since(start))
	}
	if _, err := p.Retrieve(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("done context: %v", err)
	}
}

func TestDuration(t *testing.T) {
	cmd, _ := helper(t, `{"Version":1,"AccessKeyId":"a","SecretAccessKey":"b"}`)
	p := awsv2.NewProvider(cmd, func(o *awsv2.Options) { o.Duration = time.Hour })
	defer p.Close()
	start := time.Now()
	c, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !c.CanExpire || c.Expires.Before(start.Add(time.Hour-time.Millisecond)) || c.Expires.After(time.Now().Add(time.Hour+time.Millisecond)) {
		t.Fatalf("Duration: CanExpire %v Expires %v", c.CanExpire, c.Expires)
	}
}

func TestConcurrent(t *testing.T) {
	cmd, runs := helper(t, `{"Version":1,"AccessKeyId":"a","SecretAccessKey":"b"}`)
	p := awsv2.NewProvider(cmd)
	defer p.Close()
	cache := aws.NewCredentialsCache(p)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				if _, err := cache.Retrieve(context.Background()); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if runs() != 1 {
		t.Fatalf("%d runs", runs())
	}
}

// Every vector through this provider (account ids included, which aws-sdk-go v1 cannot show).
func TestVectors(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "tests", "vectors"))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := vectors.Load(dir)
	if err != nil || len(cases) == 0 {
		t.Fatalf("loading vectors: %v (%d)", err, len(cases))
	}
	data := filepath.Join(dir, "data")
	tmp := tempDir(t)
	for _, c := range cases {
		if why := c.Skip(); why != "" {
			t.Logf("%s/%s not run on %s: %s", c.File, c.Name, runtime.GOOS, why)
			continue
		}
		c := c.Substituted(data, vectors.Now())
		t.Run(strings.TrimSuffix(c.File, ".json")+"/"+c.Name, func(t *testing.T) {
			o := c.Options
			if o.ExpiryWindowMs != nil && *o.ExpiryWindowMs != 0 {
				t.Skip("aws-sdk-go-v2 providers have no expiry window (aws.CredentialsCache has)")
			}
			opt := func(p *awsv2.Options) {
				if o.TimeoutMs != nil {
					p.Timeout = time.Duration(*o.TimeoutMs) * time.Millisecond
				}
				if o.MaxBufSize != nil {
					p.MaxBufSize = *o.MaxBufSize
				}
				if o.DurationMs != nil {
					p.Duration = time.Duration(*o.DurationMs) * time.Millisecond
				}
				if o.Stderr != nil {
					p.Stderr = map[string]awsv2.StderrMode{"inherit": awsv2.StderrInherit, "capture": awsv2.StderrCapture, "discard": awsv2.StderrDiscard}[*o.Stderr]
				}
				if o.Stdin != nil {
					p.Stdin = map[string]awsv2.StdinMode{"inherit": awsv2.StdinInherit, "null": awsv2.StdinNull}[*o.Stdin]
				}
			}
			var p *awsv2.Provider
			if c.Argv != nil {
				p = awsv2.NewProviderArgv(c.Argv, opt)
			} else {
				cmd, err := c.CommandString(tmp)
				if err != nil {
					t.Fatal(err)
				}
				p = awsv2.NewProvider(cmd, opt)
			}
			defer p.Close()
			n := c.Retrieves
			if n < 1 {
				n = 1
			}
			for i := 1; i <= n; i++ {
				creds, err := p.Retrieve(context.Background())
				var got vectors.Outcome
				if err != nil {
					var e *awsv2.Error
					if !errors.As(err, &e) {
						t.Fatalf("%T: %v", err, err)
					}
					got = vectors.Outcome{Err: e.Error(), Code: e.Code()}
				} else {
					got = vectors.Outcome{
						AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
						SessionToken: creds.SessionToken, ProviderName: creds.Source, HasAccountID: true,
						Expired: creds.Expired(),
					}
					if creds.AccountID != "" {
						got.AccountID = &creds.AccountID
					}
					if creds.CanExpire {
						got.Expiration = &creds.Expires
					}
				}
				for _, d := range vectors.Compare(c.Expect, got, false) {
					t.Errorf("retrieve %d/%d: %s", i, n, d)
				}
			}
		})
	}
}
