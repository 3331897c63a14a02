//go:build !windows

package processcreds_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	v1pc "github.com/aws/aws-sdk-go/aws/credentials/processcreds"
	v4 "github.com/aws/aws-sdk-go/aws/signer/v4"

	"github.com/processcreds/processcreds/bindings/go"
	"github.com/processcreds/processcreds/bindings/go/internal/capi"
)

// helper writes an executable sh script into a temporary directory and returns its path.
func helper(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "helper.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// jsonHelper is a helper that prints this JSON and counts its runs in a file.
func jsonHelper(t testing.TB, json string) (path string, runs func() int) {
	t.Helper()
	dir := t.TempDir()
	count := filepath.Join(dir, "runs")
	out := filepath.Join(dir, "out.json")
	if err := os.WriteFile(out, []byte(json), 0o600); err != nil {
		t.Fatal(err)
	}
	path = helper(t, fmt.Sprintf("echo x >> '%s'\ncat '%s'", count, out))
	return path, func() int {
		b, err := os.ReadFile(count)
		if err != nil {
			return 0
		}
		return strings.Count(string(b), "x")
	}
}

const staticJSON = `{"Version":1,"AccessKeyId":"AKIDPROCESS","SecretAccessKey":"SECRETPROCESS","SessionToken":"TOKENPROCESS"}`

func expiringJSON(at time.Time) string {
	return fmt.Sprintf(`{"Version":1,"AccessKeyId":"AKIDEXP","SecretAccessKey":"SECRETEXP","Expiration":%q}`,
		at.UTC().Format(time.RFC3339))
}

func TestConstants(t *testing.T) {
	if processcreds.ProviderName != v1pc.ProviderName ||
		processcreds.DefaultTimeout != v1pc.DefaultTimeout ||
		processcreds.DefaultDuration != v1pc.DefaultDuration ||
		processcreds.DefaultBufSize != v1pc.DefaultBufSize ||
		processcreds.ErrCodeProcessProviderParse != v1pc.ErrCodeProcessProviderParse ||
		processcreds.ErrCodeProcessProviderVersion != v1pc.ErrCodeProcessProviderVersion ||
		processcreds.ErrCodeProcessProviderRequired != v1pc.ErrCodeProcessProviderRequired ||
		processcreds.ErrCodeProcessProviderExecution != v1pc.ErrCodeProcessProviderExecution {
		t.Fatal("a constant differs from aws-sdk-go v1's")
	}
}

// The option functions of a program written for aws-sdk-go v1 compile unchanged: the same
// exported fields with the same types.
func TestOptionFieldsAsV1(t *testing.T) {
	set := func(timeout, duration, window *time.Duration, buf *int) {
		*timeout, *duration, *window, *buf = 2*time.Minute, time.Hour, 10*time.Second, 2048
	}
	var v1 v1pc.ProcessProvider
	set(&v1.Timeout, &v1.Duration, &v1.ExpiryWindow, &v1.MaxBufSize)
	p := processcreds.NewProvider("true", func(o *processcreds.ProcessProvider) {
		set(&o.Timeout, &o.Duration, &o.ExpiryWindow, &o.MaxBufSize)
	})
	defer p.Close()
	if p.Timeout != v1.Timeout || p.Duration != v1.Duration || p.ExpiryWindow != v1.ExpiryWindow || p.MaxBufSize != v1.MaxBufSize {
		t.Fatal("fields not set")
	}
	d := processcreds.NewProvider("true")
	defer d.Close()
	if d.Timeout != processcreds.DefaultTimeout || d.MaxBufSize != processcreds.DefaultBufSize ||
		d.Duration != 0 || d.ExpiryWindow != 0 || d.Stderr != processcreds.StderrInherit || d.Stdin != processcreds.StdinInherit {
		t.Fatalf("defaults: %+v", d)
	}
}

// Both providers satisfy aws-sdk-go v1's interfaces.
var (
	_ credentials.Provider = (*processcreds.ProcessProvider)(nil)
	_ credentials.Expirer  = (*processcreds.ProcessProvider)(nil)
	_ awserr.Error         = (*processcreds.Error)(nil)
	_ awserr.BatchedErrors = (*processcreds.Error)(nil)
)

func TestSignV1(t *testing.T) {
	cmd, _ := jsonHelper(t, staticJSON)
	creds := processcreds.NewCredentials(cmd)
	req, err := http.NewRequest("GET", "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := v4.NewSigner(creds)
	if _, err := signer.Sign(req, nil, "sts", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDPROCESS/") {
		t.Fatalf("Authorization does not carry the key id: %q", auth)
	}
	if req.Header.Get("X-Amz-Security-Token") != "TOKENPROCESS" {
		t.Fatal("X-Amz-Security-Token is not the helper's session token")
	}
	if strings.Contains(auth, "SECRETPROCESS") {
		t.Fatal("the secret appears in the Authorization header")
	}
}

// As in aws-sdk-go v1: Get caches, Retrieve always runs the helper, Expire then Get reruns it.
func TestRetrieveAlwaysRuns(t *testing.T) {
	cmd, runs := jsonHelper(t, staticJSON)
	p := processcreds.NewProvider(cmd)
	defer p.Close()
	creds := credentials.NewCredentials(p)
	for i := 0; i < 3; i++ {
		v, err := creds.Get()
		if err != nil {
			t.Fatal(err)
		}
		if v.AccessKeyID != "AKIDPROCESS" || v.SecretAccessKey != "SECRETPROCESS" || v.SessionToken != "TOKENPROCESS" || v.ProviderName != processcreds.ProviderName {
			t.Fatalf("unexpected value for key %q", v.AccessKeyID)
		}
	}
	if n := runs(); n != 1 {
		t.Fatalf("cached Get ran the helper %d times, want 1", n)
	}
	if creds.IsExpired() || p.IsExpired() {
		t.Fatal("static credentials report expired")
	}
	creds.Expire()
	if _, err := creds.Get(); err != nil {
		t.Fatal(err)
	}
	if n := runs(); n != 2 {
		t.Fatalf("Get after Expire: %d runs, want 2", n)
	}
	if _, err := p.Retrieve(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Retrieve(); err != nil {
		t.Fatal(err)
	}
	if n := runs(); n != 4 {
		t.Fatalf("Retrieve twice: %d runs, want 4", n)
	}
	if at := p.ExpiresAt(); !at.IsZero() {
		t.Fatalf("ExpiresAt of never-expiring credentials: %v", at)
	}
}

func TestExpiration(t *testing.T) {
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	cmd, runs := jsonHelper(t, expiringJSON(exp))
	var v1p *v1pc.ProcessProvider
	_ = v1p
	p := processcreds.NewProvider(cmd, func(o *processcreds.ProcessProvider) { o.ExpiryWindow = 10 * time.Minute })
	defer p.Close()
	if !p.IsExpired() {
		t.Fatal("expired before the first retrieve should be true")
	}
	creds := credentials.NewCredentials(p)
	if _, err := creds.Get(); err != nil {
		t.Fatal(err)
	}
	at, err := creds.ExpiresAt()
	if err != nil {
		t.Fatal(err)
	}
	if !at.Equal(exp.Add(-10 * time.Minute)) {
		t.Fatalf("ExpiresAt %v, want %v", at, exp.Add(-10*time.Minute))
	}
	if creds.IsExpired() {
		t.Fatal("expired too early")
	}
	// A window beyond the lifetime: expired at once, and Get runs the helper every time.
	p.ExpiryWindow = 2 * time.Hour
	creds.Expire()
	if _, err := creds.Get(); err != nil {
		t.Fatal(err)
	}
	if !creds.IsExpired() {
		t.Fatal("not expired with a window longer than the lifetime")
	}
	if _, err := creds.Get(); err != nil {
		t.Fatal(err)
	}
	if n := runs(); n != 3 {
		t.Fatalf("%d runs, want 3", n)
	}
}

// D6: the drop-in leaves Duration unset, so that a program written for aws-sdk-go v1 keeps its
// behaviour (credentials without Expiration never expire); a Duration set by an option is the
// lifetime of such credentials.
func TestDurationD6(t *testing.T) {
	cmd, runs := jsonHelper(t, staticJSON)

	v1creds := v1pc.NewCredentials(cmd)
	ours := processcreds.NewCredentials(cmd)
	for _, c := range []*credentials.Credentials{v1creds, ours} {
		if _, err := c.Get(); err != nil {
			t.Fatal(err)
		}
		if c.IsExpired() {
			t.Fatal("credentials without Expiration expired")
		}
		if at, _ := c.ExpiresAt(); !at.IsZero() {
			t.Fatalf("ExpiresAt %v, want zero", at)
		}
	}

	start := time.Now()
	p := processcreds.NewProvider(cmd, func(o *processcreds.ProcessProvider) { o.Duration = 300 * time.Millisecond })
	defer p.Close()
	creds := credentials.NewCredentials(p)
	if _, err := creds.Get(); err != nil {
		t.Fatal(err)
	}
	at, _ := creds.ExpiresAt()
	if at.Before(start.Add(300*time.Millisecond-time.Millisecond)) || at.After(time.Now().Add(300*time.Millisecond+time.Millisecond)) {
		t.Fatalf("ExpiresAt %v not Duration after the retrieve (%v)", at, start)
	}
	before := runs()
	time.Sleep(350 * time.Millisecond)
	if !creds.IsExpired() {
		t.Fatal("not expired after Duration")
	}
	if _, err := creds.Get(); err != nil {
		t.Fatal(err)
	}
	if runs() != before+1 {
		t.Fatal("Get after Duration did not rerun the helper")
	}
}

func TestErrorsAsV1(t *testing.T) {
	cases := []struct {
		command, code, message, cause string
	}{
		{"exit 3", processcreds.ErrCodeProcessProviderExecution, "error in credential_process", "exit status 3"},
		{"kill -TERM $$", processcreds.ErrCodeProcessProviderExecution, "error in credential_process", "signal: terminated"},
		{"echo '{\"Version\":2}'", processcreds.ErrCodeProcessProviderVersion, "wrong version in process output (not 1)", ""},
		{"echo '{\"Version\":1}'", processcreds.ErrCodeProcessProviderRequired, "missing AccessKeyId in process output", ""},
		{"echo '{\"Version\":1,\"AccessKeyId\":\"a\"}'", processcreds.ErrCodeProcessProviderRequired, "missing SecretAccessKey in process output", ""},
		{"", processcreds.ErrCodeProcessProviderExecution, "failed to prepare command: command must not be empty", ""},
		{" \t", processcreds.ErrCodeProcessProviderExecution, "failed to prepare command: command must not be empty", ""},
	}
	for _, c := range cases {
		_, ourErr := processcreds.NewCredentials(c.command).Get()
		_, goErr := v1pc.NewCredentials(c.command).Get()
		if ourErr == nil || goErr == nil {
			t.Fatalf("%q: want errors, got %v and %v", c.command, ourErr, goErr)
		}
		if ourErr.Error() != goErr.Error() {
			t.Errorf("%q: Error()\n ours %q\n go   %q", c.command, ourErr.Error(), goErr.Error())
		}
		ae, ok := ourErr.(awserr.Error)
		if !ok {
			t.Fatalf("%q: %T is not an awserr.Error", c.command, ourErr)
		}
		gae := goErr.(awserr.Error)
		if ae.Code() != c.code || gae.Code() != c.code {
			t.Errorf("%q: code %q (go %q), want %q", c.command, ae.Code(), gae.Code(), c.code)
		}
		if ae.Message() != c.message || gae.Message() != c.message {
			t.Errorf("%q: message %q (go %q), want %q", c.command, ae.Message(), gae.Message(), c.message)
		}
		switch {
		case c.cause == "" && ae.OrigErr() != nil:
			t.Errorf("%q: OrigErr %v, want nil", c.command, ae.OrigErr())
		case c.cause != "" && (ae.OrigErr() == nil || ae.OrigErr().Error() != c.cause):
			t.Errorf("%q: OrigErr %v, want %q", c.command, ae.OrigErr(), c.cause)
		case c.cause != "" && gae.OrigErr().Error() != c.cause:
			t.Errorf("%q: go's OrigErr %v, want %q", c.command, gae.OrigErr(), c.cause)
		}
		if b, ok := ourErr.(awserr.BatchedErrors); !ok || (c.cause != "") != (len(b.OrigErrs()) == 1) {
			t.Errorf("%q: OrigErrs", c.command)
		}
	}
}

func TestTimeout(t *testing.T) {
	start := time.Now()
	_, err := processcreds.NewCredentialsTimeout("sleep 5", 200*time.Millisecond).Get()
	if err == nil || err.Error() != "ProcessProviderExecutionError: credential process timed out" {
		t.Fatalf("got %v", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("timeout took %v", el)
	}
	var pe *processcreds.Error
	if !errors.As(err, &pe) || pe.Status() != processcreds.StatusTimeout || pe.Status().String() != "PC_STATUS_TIMEOUT" {
		t.Fatalf("status of %v", err)
	}
	// D7: Timeout 0 fails at once, without running anything.
	cmd, runs := jsonHelper(t, staticJSON)
	_, err = processcreds.NewCredentialsTimeout(cmd, 0).Get()
	if err == nil || err.Error() != "ProcessProviderExecutionError: credential process timed out" || runs() != 0 {
		t.Fatalf("Timeout 0: %v, %d runs", err, runs())
	}
}

// NewCredentialsCommand runs `sh -c` with cmd.Args as aws-sdk-go v1 does: extra arguments are
// $0, $1, ... of the shell command.
func TestCommandArgsAsV1(t *testing.T) {
	script := `printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}' "$0" "$1"`
	for _, mk := range []func() *exec.Cmd{
		func() *exec.Cmd { return exec.Command(script, "zero arg", "one") },
		func() *exec.Cmd { return exec.Command(script) },
		func() *exec.Cmd { return exec.Command(`echo '{"Version":1,"AccessKeyId":"a","SecretAccessKey":"b"}'`) },
		func() *exec.Cmd { return exec.Command("") },
		func() *exec.Cmd { return exec.Command(" ", "x") },
	} {
		ours, oerr := processcreds.NewCredentialsCommand(mk()).Get()
		theirs, gerr := v1pc.NewCredentialsCommand(mk()).Get()
		if fmt.Sprint(oerr) != fmt.Sprint(gerr) || ours != theirs {
			t.Errorf("%q: ours %q %v, go %q %v", mk().Args, ours.AccessKeyID, oerr, theirs.AccessKeyID, gerr)
		}
	}
	v, err := processcreds.NewCredentialsCommand(exec.Command(script, "zero arg", "one")).Get()
	if err != nil || v.AccessKeyID != "zero arg" || v.SecretAccessKey != "one" {
		t.Fatalf("args: %q, %v", v.AccessKeyID, err)
	}
	// D5: the empty-command error repeats (aws-sdk-go v1's second call runs `sh -c ""`).
	creds := processcreds.NewCredentialsCommand(exec.Command(""))
	for i := 0; i < 2; i++ {
		if _, err := creds.Get(); err == nil || !strings.Contains(err.Error(), "command must not be empty") {
			t.Fatalf("retrieve %d: %v", i, err)
		}
	}
	if _, err := processcreds.NewCredentialsCommand(&exec.Cmd{}).Get(); err == nil || !strings.Contains(err.Error(), "command must not be empty") {
		t.Fatalf("no Args: %v", err)
	}
}

func TestArgv(t *testing.T) {
	script := helper(t, `printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}' "$1" "$2"`)
	v, err := processcreds.NewCredentialsArgv([]string{script, "$HOME `id`", "two words"}).Get()
	if err != nil || v.AccessKeyID != "$HOME `id`" || v.SecretAccessKey != "two words" {
		t.Fatalf("argv: %q %v", v.AccessKeyID, err)
	}
	_, err = processcreds.NewCredentialsArgv([]string{"/nonexistent/helper"}).Get()
	if err == nil || err.Error() != "ProcessProviderExecutionError: error in credential_process\ncaused by: fork/exec /nonexistent/helper: no such file or directory" {
		t.Fatalf("nonexistent: %v", err)
	}
	_, err = processcreds.NewCredentialsArgv(nil).Get()
	if err == nil || !strings.Contains(err.Error(), "command must not be empty") {
		t.Fatalf("empty argv: %v", err)
	}
}

// A NUL byte cannot cross the C ABI; the binding fails the way aws-sdk-go v1 does.
func TestNULInCommand(t *testing.T) {
	for _, cmd := range []string{"echo a\x00b", "\x00"} {
		_, ours := processcreds.NewCredentials(cmd).Get()
		_, theirs := v1pc.NewCredentials(cmd).Get()
		if ours == nil || theirs == nil || ours.Error() != theirs.Error() {
			t.Errorf("%q: ours %v, go %v", cmd, ours, theirs)
		}
	}
	_, ours := processcreds.NewCredentialsArgv([]string{"/bin/echo", "a\x00"}).Get()
	if ours == nil || ours.Error() != "ProcessProviderExecutionError: error in credential_process\ncaused by: fork/exec /bin/echo: invalid argument" {
		t.Errorf("argv with NUL: %v", ours)
	}
	_, ours = processcreds.NewCredentialsTimeout("a\x00", 0).Get()
	if ours == nil || ours.Error() != "ProcessProviderExecutionError: credential process timed out" {
		t.Errorf("NUL with Timeout 0: %v", ours)
	}
}

func TestStderrCapture(t *testing.T) {
	p := processcreds.NewProvider("echo 'need MFA' >&2; exit 2", func(o *processcreds.ProcessProvider) {
		o.Stderr = processcreds.StderrCapture
		o.Stdin = processcreds.StdinNull
	})
	defer p.Close()
	_, err := p.Retrieve()
	want := "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 2\nstderr: need MFA"
	if err == nil || err.Error() != want {
		t.Fatalf("got %q", err)
	}
	e := err.(*processcreds.Error)
	if e.Message() != "error in credential_process" || e.OrigErr().Error() != "exit status 2" || e.Stderr() != "need MFA" {
		t.Fatalf("parts: %q %q %q", e.Message(), e.OrigErr(), e.Stderr())
	}
	p.Stderr = processcreds.StderrDiscard
	if _, err = p.Retrieve(); err == nil || err.Error() != "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 2" {
		t.Fatalf("discard: %v", err)
	}
	p.Stderr = 9
	if _, err = p.Retrieve(); err == nil || err.(*processcreds.Error).Status() != processcreds.StatusInvalidArgument {
		t.Fatalf("unknown mode: %v", err)
	}
	// A timeout with captured stderr has no cause, only the stderr text.
	q := processcreds.NewProvider("echo 'waiting\ncaused by: x' >&2; sleep 5", func(o *processcreds.ProcessProvider) {
		o.Stderr = processcreds.StderrCapture
		o.Timeout = 300 * time.Millisecond
	})
	defer q.Close()
	_, err = q.Retrieve()
	e, _ = err.(*processcreds.Error)
	if e == nil || e.Message() != "credential process timed out" || e.OrigErr() != nil || e.Stderr() != "waiting\ncaused by: x" {
		t.Fatalf("timeout with stderr: %q", err)
	}
}

func TestParseErrorHidesOutput(t *testing.T) {
	cmd, _ := jsonHelper(t, `{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"SHOULD-NOT-LEAK",}`)
	_, err := processcreds.NewCredentials(cmd).Get()
	if err == nil || !strings.HasPrefix(err.Error(), "ProcessProviderParseError: parse failed of credential_process output\ncaused by: ") {
		t.Fatalf("got %v", err != nil)
	}
	if strings.Contains(err.Error(), "SHOULD-NOT-LEAK") {
		t.Fatal("the parse error shows the secret")
	}
	if ae := err.(awserr.Error); ae.Message() != "parse failed of credential_process output" || ae.OrigErr() == nil {
		t.Fatal("parse error parts")
	}
}

func TestCloseAndZeroValue(t *testing.T) {
	cmd, _ := jsonHelper(t, staticJSON)
	p := processcreds.NewProvider(cmd)
	if _, err := p.Retrieve(); err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close()
	if _, err := p.Retrieve(); err == nil {
		t.Fatal("Retrieve after Close succeeded")
	}
	if !p.IsExpired() || !p.ExpiresAt().IsZero() {
		t.Fatal("closed provider state")
	}
	var z processcreds.ProcessProvider
	if _, err := z.Retrieve(); err == nil || !z.IsExpired() || !z.ExpiresAt().IsZero() {
		t.Fatal("zero value provider")
	}
	z.Close()
}

// Many goroutines share one Credentials: the helper runs once (singleflight in aws-sdk-go's
// cache), and Retrieve on one provider from many goroutines is safe.
func TestConcurrent(t *testing.T) {
	cmd, runs := jsonHelper(t, staticJSON)
	p := processcreds.NewProvider(cmd)
	defer p.Close()
	creds := credentials.NewCredentials(p)
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if v, err := creds.Get(); err != nil || v.AccessKeyID != "AKIDPROCESS" {
					bad.Add(1)
				}
				_ = creds.IsExpired()
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 || runs() != 1 {
		t.Fatalf("%d bad results, %d runs", bad.Load(), runs())
	}
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := p.Retrieve(); err != nil || v.AccessKeyID != "AKIDPROCESS" {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatal("concurrent Retrieve failed")
	}
}

// Providers dropped without Close are freed by their finalizers; run with GOGC=1 too.
func TestFinalizers(t *testing.T) {
	cmd, _ := jsonHelper(t, staticJSON)
	// Earlier tests leave unreachable providers whose finalizers may still be pending: collect
	// until the count stays put, so that only this test's providers move it afterwards.
	base := capi.LiveProviders()
	for stable := 0; stable < 5; {
		runtime.GC()
		time.Sleep(2 * time.Millisecond)
		if n := capi.LiveProviders(); n != base {
			base, stable = n, 0
		} else {
			stable++
		}
	}
	func() {
		var keep []*credentials.Credentials
		for i := 0; i < 50; i++ {
			creds := processcreds.NewCredentials(cmd)
			if _, err := creds.Get(); err != nil {
				t.Fatal(err)
			}
			keep = append(keep, creds)
		}
		if got := capi.LiveProviders() - base; got != 50 {
			t.Fatalf("%d providers live while referenced, want 50", got)
		}
		runtime.KeepAlive(keep)
	}()
	// Unreachable now: the finalizers free every C provider. They run after a collection, on
	// the finalizer goroutine, so collect until they have (bounded).
	deadline := time.Now().Add(30 * time.Second)
	for capi.LiveProviders() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d providers still live after their handles became unreachable",
				capi.LiveProviders()-base)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

func TestProfile(t *testing.T) {
	home := t.TempDir()
	cmd, _ := jsonHelper(t, staticJSON)
	creds := filepath.Join(home, "credentials")
	ini := "[default]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = SECRETSTATIC\n" +
		"[proc]\ncredential_process = " + cmd + "\n"
	if err := os.WriteFile(creds, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(home, "config")
	ini = "[profile both]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = default\ncredential_process = x\n"
	if err := os.WriteFile(config, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SDK_LOAD_CONFIG"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", config)

	c, err := processcreds.NewCredentialsFromProfile("")
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Get()
	if err != nil || v.AccessKeyID != "AKIDSTATIC" || v.ProviderName != "SharedConfigCredentials: "+creds {
		t.Fatalf("static: %q %q %v", v.AccessKeyID, v.ProviderName, err)
	}
	c, err = processcreds.NewCredentialsFromProfile("proc", processcreds.WithSharedConfigState(processcreds.SharedConfigEnable),
		func(o *processcreds.ProcessProvider) { o.Timeout = 5 * time.Second })
	if err != nil {
		t.Fatal(err)
	}
	if v, err = c.Get(); err != nil || v.AccessKeyID != "AKIDPROCESS" || v.ProviderName != processcreds.ProviderName {
		t.Fatalf("process: %q %v", v.AccessKeyID, err)
	}
	if _, err = processcreds.NewCredentialsFromProfile("both"); err == nil {
		t.Fatal("the config file was read with shared config off")
	}
	_, err = processcreds.NewCredentialsFromProfile("both", processcreds.WithSharedConfigState(processcreds.SharedConfigEnable))
	want := "SharedConfigErr: only one credential type may be specified per profile: source profile, credential source, credential process, web identity token"
	if err == nil || err.Error() != want {
		t.Fatalf("both: %v", err)
	}
	var pe *processcreds.Error
	if !errors.As(err, &pe) || pe.Code() != processcreds.ErrCodeSharedConfig || pe.Status() != processcreds.StatusConfig {
		t.Fatalf("config error: %#v", err)
	}
	if _, err = processcreds.NewCredentialsFromProfile("missing"); err == nil {
		t.Fatal("missing profile gave credentials")
	}
}

// After a failed refresh, ExpiresAt still gives the last credentials' expiry, as in aws-sdk-go v1.
func TestExpiresAtAfterFailedRefresh(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.json")
	write := func(s string) {
		if err := os.WriteFile(out, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Now().Add(700 * time.Millisecond).UTC()
	write(fmt.Sprintf(`{"Version":1,"AccessKeyId":"a","SecretAccessKey":"b","Expiration":%q}`, exp.Format(time.RFC3339Nano)))
	cmd := "cat '" + out + "'"
	ours, theirs := processcreds.NewCredentials(cmd), v1pc.NewCredentials(cmd)
	for _, c := range []*credentials.Credentials{ours, theirs} {
		if _, err := c.Get(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Until(exp) + 50*time.Millisecond)
	write(`{"Version":2}`)
	var ats []time.Time
	for _, c := range []*credentials.Credentials{ours, theirs} {
		if _, err := c.Get(); err == nil {
			t.Fatal("refresh succeeded")
		}
		if !c.IsExpired() {
			t.Fatal("not expired after a failed refresh")
		}
		at, err := c.ExpiresAt()
		if err != nil {
			t.Fatal(err)
		}
		ats = append(ats, at)
	}
	if ats[0].UnixMilli() != exp.UnixMilli() || ats[1].UnixMilli() != exp.UnixMilli() {
		t.Fatalf("ExpiresAt: ours %v, aws-sdk-go v1 %v, want %v", ats[0], ats[1], exp)
	}
}
