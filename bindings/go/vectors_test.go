package processcreds_test

// The differential suite: every case of tests/vectors/*.json runs through aws-sdk-go v1's own
// processcreds and through this binding (both behind aws-sdk-go v1's credentials.Credentials, as
// a program uses them). Outcomes must be identical (credentials, or code and Error() text; parse
// errors only share their start, since aws-sdk-go v1 embeds the output, D4), and match the
// case's expectation; a case tagged with a divergence must give its expectation here and what
// its go_v1 block says in aws-sdk-go v1. Cases aws-sdk-go v1 cannot express (argv, stderr and
// stdin modes) run through the binding only, and so does every case under the race detector
// (see race_on_test.go).

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	v1pc "github.com/aws/aws-sdk-go/aws/credentials/processcreds"

	"github.com/processcreds/processcreds/bindings/go"
	"github.com/processcreds/processcreds/bindings/go/internal/vectors"
)

func vectorDir(t testing.TB) (dir, data string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tests", "vectors"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, "data")
}

func loadVectors(t testing.TB) ([]vectors.Case, string) {
	t.Helper()
	dir, data := vectorDir(t)
	cases, err := vectors.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no vectors in " + dir)
	}
	return cases, data
}

// outcome runs one Get through aws-sdk-go v1's Credentials cache and records what it gave.
func outcome(creds *credentials.Credentials, window time.Duration) vectors.Outcome {
	v, err := creds.Get()
	if err != nil {
		o := vectors.Outcome{Err: err.Error()}
		if ae, ok := err.(awserr.Error); ok {
			o.Code = ae.Code()
		}
		return o
	}
	o := vectors.Outcome{
		AccessKeyID:     v.AccessKeyID,
		SecretAccessKey: v.SecretAccessKey,
		SessionToken:    v.SessionToken,
		ProviderName:    v.ProviderName,
		Expired:         creds.IsExpired(),
	}
	// ExpiresAt is the window-adjusted expiry; the vectors hold the helper's Expiration.
	if at, err := creds.ExpiresAt(); err == nil && !at.IsZero() {
		at = at.Add(window)
		o.Expiration = &at
	}
	return o
}

func ms(p *int64) time.Duration { return time.Duration(*p) * time.Millisecond }

// ourOptions applies a case's options to this binding's provider.
func ourOptions(o vectors.Options) func(*processcreds.ProcessProvider) {
	return func(p *processcreds.ProcessProvider) {
		if o.TimeoutMs != nil {
			p.Timeout = ms(o.TimeoutMs)
		}
		if o.MaxBufSize != nil {
			p.MaxBufSize = *o.MaxBufSize
		}
		if o.ExpiryWindowMs != nil {
			p.ExpiryWindow = ms(o.ExpiryWindowMs)
		}
		if o.DurationMs != nil {
			p.Duration = ms(o.DurationMs)
		}
		if o.Stderr != nil {
			p.Stderr = map[string]processcreds.StderrMode{
				"inherit": processcreds.StderrInherit, "capture": processcreds.StderrCapture, "discard": processcreds.StderrDiscard,
			}[*o.Stderr]
		}
		if o.Stdin != nil {
			p.Stdin = map[string]processcreds.StdinMode{"inherit": processcreds.StdinInherit, "null": processcreds.StdinNull}[*o.Stdin]
		}
	}
}

// v1Options applies the same options to aws-sdk-go v1's provider (with go_v1's timeout).
func v1Options(c vectors.Case) func(*v1pc.ProcessProvider) {
	o := c.Options
	return func(p *v1pc.ProcessProvider) {
		if o.TimeoutMs != nil {
			p.Timeout = ms(o.TimeoutMs)
		}
		if c.GoV1 != nil && c.GoV1.TimeoutMs != nil {
			p.Timeout = ms(c.GoV1.TimeoutMs)
		}
		if o.MaxBufSize != nil {
			p.MaxBufSize = *o.MaxBufSize
		}
		if o.ExpiryWindowMs != nil {
			p.ExpiryWindow = ms(o.ExpiryWindowMs)
		}
		if o.DurationMs != nil {
			p.Duration = ms(o.DurationMs)
		}
	}
}

func window(o vectors.Options) time.Duration {
	if o.ExpiryWindowMs == nil {
		return 0
	}
	return ms(o.ExpiryWindowMs)
}

// v1CanRun says whether aws-sdk-go v1 can express the case.
func v1CanRun(c vectors.Case) bool {
	o := c.Options
	return c.Argv == nil &&
		(o.Stderr == nil || *o.Stderr == "inherit") &&
		(o.Stdin == nil || *o.Stdin == "inherit")
}

// differences says how two outcomes differ; unless strict, parse errors only need the same code
// and start.
func differences(ours, theirs vectors.Outcome, strict bool) []string {
	var d []string
	add := func(f string, a ...interface{}) { d = append(d, fmt.Sprintf(f, a...)) }
	if ours.Err != "" || theirs.Err != "" {
		switch {
		case ours.Err == "" || theirs.Err == "":
			add("ours %v, aws-sdk-go v1 %v", ours, theirs)
		case ours.Code != theirs.Code:
			add("code: ours %q, aws-sdk-go v1 %q", ours.Err, theirs.Err)
		case ours.Code == vectors.CodeParse && !strict:
			if !strings.HasPrefix(ours.Err, vectors.ParsePrefix) || !strings.HasPrefix(theirs.Err, vectors.ParsePrefix) {
				add("parse error: ours %q, aws-sdk-go v1 %q", ours.Err, theirs.Err)
			}
		case ours.Err != theirs.Err:
			add("Error(): ours %q, aws-sdk-go v1 %q", ours.Err, theirs.Err)
		}
		return d
	}
	if ours.AccessKeyID != theirs.AccessKeyID || ours.SecretAccessKey != theirs.SecretAccessKey ||
		ours.SessionToken != theirs.SessionToken || ours.ProviderName != theirs.ProviderName {
		add("credentials: ours key %q provider %q, aws-sdk-go v1 key %q provider %q (secrets compared, not shown)",
			ours.AccessKeyID, ours.ProviderName, theirs.AccessKeyID, theirs.ProviderName)
	}
	switch {
	case (ours.Expiration == nil) != (theirs.Expiration == nil):
		add("expiration: ours %v, aws-sdk-go v1 %v", ours, theirs)
	case ours.Expiration != nil && ours.Expiration.UnixMilli() != theirs.Expiration.UnixMilli():
		add("expiration: ours %s, aws-sdk-go v1 %s", ours.Expiration.Format(time.RFC3339Nano), theirs.Expiration.Format(time.RFC3339Nano))
	}
	if ours.Expired != theirs.Expired {
		add("expired: ours %v, aws-sdk-go v1 %v", ours.Expired, theirs.Expired)
	}
	return d
}

func TestVectorsDifferential(t *testing.T) {
	cases, data := loadVectors(t)
	tmp := t.TempDir()
	for _, c := range cases {
		c := c
		t.Run(strings.TrimSuffix(c.File, ".json")+"/"+c.Name, func(t *testing.T) {
			runDifferential(t, c.Substituted(data, vectors.Now()), tmp)
		})
	}
}

func runDifferential(t *testing.T, c vectors.Case, tmp string) {
	n := c.Retrieves
	if n < 1 {
		n = 1
	}
	var ours *credentials.Credentials
	var command string
	if c.Argv != nil {
		ours = processcreds.NewCredentialsArgv(c.Argv, ourOptions(c.Options))
	} else {
		var err error
		if command, err = c.CommandString(tmp); err != nil {
			t.Fatal(err)
		}
		ours = processcreds.NewCredentials(command, ourOptions(c.Options))
	}
	var theirs *credentials.Credentials
	if v1CanRun(c) && !raceDetector {
		theirs = v1pc.NewCredentials(command, v1Options(c))
	}
	w := window(c.Options)
	for i := 1; i <= n; i++ {
		got := outcome(ours, w)
		for _, d := range vectors.Compare(c.Expect, got, false) {
			t.Errorf("retrieve %d/%d, binding: %s", i, n, d)
		}
		if theirs == nil {
			continue
		}
		ref := outcome(theirs, w)
		switch {
		case c.Divergence == "":
			for _, d := range vectors.Compare(c.Expect, ref, true) {
				t.Errorf("retrieve %d/%d, aws-sdk-go v1: %s", i, n, d)
			}
			for _, d := range differences(got, ref, false) {
				t.Errorf("retrieve %d/%d, not identical: %s", i, n, d)
			}
		case i == n:
			for _, d := range vectors.CompareGoV1(*c.GoV1, ref) {
				t.Errorf("retrieve %d/%d, aws-sdk-go v1 (%s): %s", i, n, c.Divergence, d)
			}
			// The divergence shows in the outcome, except D1, whose difference is what happens
			// to the helper's descendants (TestTimeoutKillsDescendants), and racy ones.
			if !c.GoV1.Any && c.Divergence != "D1" && len(differences(got, ref, true)) == 0 {
				t.Errorf("%s: the binding and aws-sdk-go v1 agree (%v)", c.Divergence, got)
			}
		}
	}
	switch {
	case !v1CanRun(c):
		t.Logf("binding only: aws-sdk-go v1 has no argv constructor or stdio modes")
	case raceDetector:
		t.Logf("binding only under -race (aws-sdk-go v1's processcreds races with itself)")
	}
}

// D1 through the binding: a timeout kills the helper's descendants too.
func TestTimeoutKillsDescendants(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := fmt.Sprintf("exec 2>/dev/null; sleep 30 & echo $! > '%s'; sleep 30", pidFile)
	_, err := processcreds.NewCredentialsTimeout(cmd, 300*time.Millisecond).Get()
	if err == nil || err.Error() != vectors.TimeoutMessage {
		t.Fatalf("got %v", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		// A zombie waiting for init to reap it counts as gone.
		if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); strings.Contains(string(st), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the helper's background child %d survived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
