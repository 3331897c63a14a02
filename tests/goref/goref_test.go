package goref

// Runs every conformance vector through aws-sdk-go v1's own processcreds package, to prove that
// the vectors state what Go v1 really does (or, for a divergence, what it does instead).

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/credentials/processcreds"
)

func vectorDirs(t *testing.T) (vectors, data string) {
	t.Helper()
	vectors, err := filepath.Abs(filepath.Join("..", "vectors"))
	if err != nil {
		t.Fatal(err)
	}
	return vectors, filepath.Join(vectors, "data")
}

func loadCases(t *testing.T) ([]Case, string) {
	t.Helper()
	vectors, data := vectorDirs(t)
	cases, err := Load(vectors)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no vectors found")
	}
	return cases, data
}

func TestVectorsWellFormed(t *testing.T) {
	cases, data := loadCases(t)
	if strings.ContainsAny(data, " \t\n'\"") {
		t.Fatalf("the data path %q must not hold spaces or quotes", data)
	}
	seen := map[string]string{}
	for _, c := range cases {
		if f, dup := seen[c.Name]; dup {
			t.Errorf("%s: name %s is also used in %s", c.File, c.Name, f)
		}
		seen[c.Name] = c.File
		for _, p := range Validate(c, data) {
			t.Errorf("%s %s: %s", c.File, c.Name, p)
		}
	}
	entries, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		content, err := os.ReadFile(filepath.Join(data, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		script := bytes.HasPrefix(content, []byte("#!")) || e.Name() == "noshebang"
		if exec := info.Mode()&0o111 != 0; exec != script {
			t.Errorf("data/%s: executable bit is %v, want %v", e.Name(), exec, script)
		}
	}
}

// goOutcome runs one Get through Go v1's Credentials cache and records what it gave.
func goOutcome(creds *credentials.Credentials, window time.Duration) Outcome {
	v, err := creds.Get()
	if err != nil {
		o := Outcome{Err: err.Error()}
		if ae, ok := err.(awserr.Error); ok {
			o.Code = ae.Code()
		}
		return o
	}
	o := Outcome{
		AccessKeyID:     v.AccessKeyID,
		SecretAccessKey: v.SecretAccessKey,
		SessionToken:    v.SessionToken,
		ProviderName:    v.ProviderName,
		Expired:         creds.IsExpired(),
	}
	// Go's ExpiresAt is the window-adjusted expiry; the vectors hold the helper's Expiration.
	if at, err := creds.ExpiresAt(); err == nil && !at.IsZero() {
		at = at.Add(window)
		o.Expiration = &at
	}
	return o
}

func TestVectorsAgainstGoV1(t *testing.T) {
	cases, data := loadCases(t)
	tmp := t.TempDir()
	for _, c := range cases {
		c := c
		t.Run(strings.TrimSuffix(c.File, ".json")+"/"+c.Name, func(t *testing.T) {
			runGoV1(t, c.Substituted(data, Now()), tmp)
		})
	}
}

func runGoV1(t *testing.T, c Case, tmp string) {
	o := c.Options
	if (o.Stderr != nil && *o.Stderr != "inherit") || (o.Stdin != nil && *o.Stdin != "inherit") {
		t.Skip("aws-sdk-go v1 has no stderr or stdin modes")
	}
	if c.Argv != nil {
		checkArgvStartError(t, c)
		return
	}
	command, err := c.CommandString(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var window time.Duration
	creds := processcreds.NewCredentials(command, func(p *processcreds.ProcessProvider) {
		if o.TimeoutMs != nil {
			p.Timeout = time.Duration(*o.TimeoutMs) * time.Millisecond
		}
		if c.GoV1 != nil && c.GoV1.TimeoutMs != nil {
			p.Timeout = time.Duration(*c.GoV1.TimeoutMs) * time.Millisecond
		}
		if o.MaxBufSize != nil {
			p.MaxBufSize = *o.MaxBufSize
		}
		if o.ExpiryWindowMs != nil {
			window = time.Duration(*o.ExpiryWindowMs) * time.Millisecond
			p.ExpiryWindow = window
		}
		if o.DurationMs != nil {
			p.Duration = time.Duration(*o.DurationMs) * time.Millisecond
		}
	})
	n := c.Retrieves
	if n < 1 {
		n = 1
	}
	for i := 1; i <= n; i++ {
		got := goOutcome(creds, window)
		if c.Divergence == "" {
			for _, d := range Compare(c.Expect, got, true) {
				t.Errorf("retrieve %d/%d: %s", i, n, d)
			}
		} else if i == n {
			t.Logf("%s: aws-sdk-go v1 gave %v", c.Divergence, got)
			for _, d := range CompareGoV1(*c.GoV1, got) {
				t.Errorf("retrieve %d/%d: %s", i, n, d)
			}
		}
	}
	if c.Divergence == "" && c.Expect.OK != nil && c.Expect.OK.AccountID != nil {
		t.Logf("account_id %q not checked: aws-sdk-go v1 does not read AccountId", *c.Expect.OK.AccountID)
	}
}

// checkArgvStartError compares an argv case's exec error with what Go's os/exec says for the
// same argv; other argv cases cannot be expressed with aws-sdk-go v1.
func checkArgvStartError(t *testing.T, c Case) {
	e := c.Expect.Error
	if e == nil || e.Status != "PC_STATUS_EXECUTION" || !strings.HasPrefix(e.Text(), ProcessPrefix) {
		t.Skip("aws-sdk-go v1 has no argv constructor")
	}
	err := exec.Command(c.Argv[0], c.Argv[1:]...).Run()
	got := Outcome{}
	if err != nil {
		got = Outcome{Err: ProcessPrefix + err.Error(), Code: CodeExecution}
	}
	for _, d := range Compare(c.Expect, got, true) {
		t.Errorf("os/exec: %s", d)
	}
}
