package processcreds_test

// The differential suite: every case of tests/vectors/*.json runs through aws-sdk-go v1's own
// processcreds and through this binding (both behind aws-sdk-go v1's credentials.Credentials, as
// a program uses them). Outcomes must be identical (credentials, or code and Error() text; parse
// errors only share their start, since aws-sdk-go v1 embeds the output, D4), and match the
// case's expectation; a case tagged with a divergence must give its expectation here and what
// its go_v1 block says in aws-sdk-go v1. aws-sdk-go v1 has no argv constructor: an argv case
// whose helper fails to start or exits badly is compared instead with what Go's os/exec says for
// exec.Command(argv...).Run(). Other argv cases and cases with a stderr or stdin mode run through
// the binding only, and under the race detector aws-sdk-go v1 is left out (see race_on_test.go);
// the run without -race is the one that checks the vectors against aws-sdk-go v1.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
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

// defaultStdio says whether a case leaves stderr and stdin as aws-sdk-go v1 does (inherited).
func defaultStdio(o vectors.Options) bool {
	return (o.Stderr == nil || *o.Stderr == "inherit") && (o.Stdin == nil || *o.Stdin == "inherit")
}

// v1CanRun says whether aws-sdk-go v1 can express the case.
func v1CanRun(c vectors.Case) bool { return c.Argv == nil && defaultStdio(c.Options) }

// execComparable says whether an argv case can be put in Go's os/exec words instead: it expects
// an execution error of a run that could not start or exited badly, with the default stdio.
func execComparable(c vectors.Case) bool {
	e := c.Expect.Error
	return c.Argv != nil && defaultStdio(c.Options) && e != nil &&
		e.Status == "PC_STATUS_EXECUTION" && strings.HasPrefix(e.Text(), vectors.ProcessPrefix)
}

// execOutcome runs argv through Go's os/exec, exec.Command(argv...).Run(), and words the error as
// aws-sdk-go v1 does for a run that failed.
func execOutcome(argv []string) vectors.Outcome {
	if err := exec.Command(argv[0], argv[1:]...).Run(); err != nil {
		return vectors.Outcome{Err: vectors.ProcessPrefix + err.Error(), Code: vectors.CodeExecution}
	}
	return vectors.Outcome{}
}

// differences says how our outcome and theirs (named other: aws-sdk-go v1, os/exec) differ;
// unless strict, parse errors only need the same code and start.
func differences(ours, theirs vectors.Outcome, other string, strict bool) []string {
	var d []string
	add := func(f string, a ...interface{}) { d = append(d, fmt.Sprintf(f, a...)) }
	if ours.Err != "" || theirs.Err != "" {
		switch {
		case ours.Err == "" || theirs.Err == "":
			add("ours %v, %s %v", ours, other, theirs)
		case ours.Code != theirs.Code:
			add("code: ours %q, %s %q", ours.Err, other, theirs.Err)
		case ours.Code == vectors.CodeParse && !strict:
			if !strings.HasPrefix(ours.Err, vectors.ParsePrefix) || !strings.HasPrefix(theirs.Err, vectors.ParsePrefix) {
				add("parse error: ours %q, %s %q", ours.Err, other, theirs.Err)
			}
		case ours.Err != theirs.Err:
			add("Error(): ours %q, %s %q", ours.Err, other, theirs.Err)
		}
		return d
	}
	if ours.AccessKeyID != theirs.AccessKeyID || ours.SecretAccessKey != theirs.SecretAccessKey ||
		ours.SessionToken != theirs.SessionToken || ours.ProviderName != theirs.ProviderName {
		add("credentials: ours key %q provider %q, %s key %q provider %q (secrets compared, not shown)",
			ours.AccessKeyID, ours.ProviderName, other, theirs.AccessKeyID, theirs.ProviderName)
	}
	switch {
	case (ours.Expiration == nil) != (theirs.Expiration == nil):
		add("expiration: ours %v, %s %v", ours, other, theirs)
	case ours.Expiration != nil && ours.Expiration.UnixMilli() != theirs.Expiration.UnixMilli():
		add("expiration: ours %s, %s %s", ours.Expiration.Format(time.RFC3339Nano), other, theirs.Expiration.Format(time.RFC3339Nano))
	}
	if ours.Expired != theirs.Expired {
		add("expired: ours %v, %s %v", ours.Expired, other, theirs.Expired)
	}
	return d
}

// What a case was checked against besides its expectation, counted by TestVectorsDifferential.
const (
	againstV1     = "aws-sdk-go v1 (expect)"
	againstGoV1   = "aws-sdk-go v1 (go_v1)"
	againstOSExec = "os/exec"
	bindingOnly   = "binding only"
)

func TestVectorsDifferential(t *testing.T) {
	cases, data := loadVectors(t)
	// Not t.TempDir: aws-sdk-go v1 stops reading at MaxBufSize without closing the pipe, and a
	// helper blocked on it keeps its files open (which Windows does not let anyone delete).
	tmp, err := os.MkdirTemp("", "pc-vectors-")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	tally := map[string]int{}
	skipped := map[string]int{}
	run := 0
	t.Cleanup(func() {
		_ = os.RemoveAll(tmp)
		t.Logf("%d cases through the binding; also checked against %s: %d, %s: %d, %s: %d; %s: %d",
			run, againstV1, tally[againstV1], againstGoV1, tally[againstGoV1],
			againstOSExec, tally[againstOSExec], bindingOnly, tally[bindingOnly])
		for why, n := range skipped {
			t.Logf("not run on %s: %d cases, %s", runtime.GOOS, n, why)
		}
		if !raceDetector && tally[againstV1]+tally[againstGoV1] == 0 {
			t.Error("no case was checked against aws-sdk-go v1")
		}
	})
	for _, c := range cases {
		c := c
		if why := c.Skip(); why != "" {
			skipped[why]++
			continue
		}
		run++
		t.Run(strings.TrimSuffix(c.File, ".json")+"/"+c.Name, func(t *testing.T) {
			// Under Wine a process start takes a quarter of a second: the cases run side by side.
			if runtime.GOOS == "windows" {
				t.Parallel()
			}
			against := runDifferential(t, c.Substituted(data, vectors.Now()), tmp)
			mu.Lock()
			tally[against]++
			mu.Unlock()
		})
	}
}

// runDifferential runs one case and returns what it was checked against besides its expectation.
func runDifferential(t *testing.T, c vectors.Case, tmp string) string {
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
	divergence, goV1 := c.GoV1Here()
	var last vectors.Outcome
	for i := 1; i <= n; i++ {
		got := outcome(ours, w)
		last = got
		for _, d := range vectors.Compare(c.Expect, got, false) {
			t.Errorf("retrieve %d/%d, binding: %s", i, n, d)
		}
		if theirs == nil {
			continue
		}
		ref := outcome(theirs, w)
		switch {
		case divergence == "":
			for _, d := range vectors.Compare(c.Expect, ref, true) {
				t.Errorf("retrieve %d/%d, aws-sdk-go v1: %s", i, n, d)
			}
			for _, d := range differences(got, ref, "aws-sdk-go v1", false) {
				t.Errorf("retrieve %d/%d, not identical: %s", i, n, d)
			}
		case i == n:
			t.Logf("%s: aws-sdk-go v1 gave %v", divergence, ref)
			for _, d := range vectors.CompareGoV1(*goV1, ref) {
				t.Errorf("retrieve %d/%d, aws-sdk-go v1 (%s): %s", i, n, divergence, d)
			}
			// The divergence shows in the outcome, except D1, whose difference is what happens
			// to the helper's descendants (TestTimeoutKillsDescendants), and racy ones.
			if !goV1.Any && divergence != "D1" && len(differences(got, ref, "aws-sdk-go v1", true)) == 0 {
				t.Errorf("%s: the binding and aws-sdk-go v1 agree (%v)", divergence, got)
			}
		}
	}
	switch {
	case execComparable(c):
		ref := execOutcome(c.Argv)
		for _, d := range vectors.Compare(c.Expect, ref, true) {
			t.Errorf("os/exec: %s", d)
		}
		for _, d := range differences(last, ref, "os/exec", true) {
			t.Errorf("not identical: %s", d)
		}
		return againstOSExec
	case !v1CanRun(c):
		t.Logf("binding only: aws-sdk-go v1 has no argv constructor or stdio modes")
		return bindingOnly
	case raceDetector:
		t.Logf("binding only under -race (aws-sdk-go v1's processcreds races with itself)")
		return bindingOnly
	case divergence != "":
		return againstGoV1
	}
	if c.Expect.OK != nil && c.Expect.OK.AccountID != nil {
		t.Logf("account_id %q checked in the binding only: aws-sdk-go v1 does not read AccountId", *c.Expect.OK.AccountID)
	}
	return againstV1
}
