package processcreds_test

// The binding on Windows (run under Wine by `make test-windows`), beside the vectors: command
// strings through cmd.exe verbatim (D10) against aws-sdk-go v1's `cmd.exe /C`, exec.Cmd
// arguments, Go's error texts, single flight, and the shared config under %USERPROFILE%. The
// timeout killing the helper's tree is tested in tests/windows_runner.rs.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/credentials"
	v1pc "github.com/aws/aws-sdk-go/aws/credentials/processcreds"

	"github.com/processcreds/processcreds/bindings/go"
)

// tempDir is t.TempDir, except that its removal is best effort: under Wine 8, os.RemoveAll of
// Go 1.23 and later fails ("Invalid function", the POSIX delete semantics it asks for are not
// implemented).
func tempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "pc-go-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

const winJSON = `{"Version":1,"AccessKeyId":"AKIDWIN","SecretAccessKey":"SECRETWIN"}`

// winHelper writes a batch file into a folder whose name holds spaces: it checks its two
// arguments, counts its runs and prints winJSON.
func winHelper(t *testing.T) (bat string, runs func() int) {
	t.Helper()
	dir := filepath.Join(tempDir(t), "dir with space")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "creds.json"), []byte(winJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	bat = filepath.Join(dir, "helper.bat")
	script := "@echo off\r\n" +
		"if not \"%~1\"==\"--flag\" exit /b 5\r\n" +
		"if not \"%~2\"==\"two words\" exit /b 6\r\n" +
		"echo x>>\"%~dp0runs\"\r\n" +
		"type \"%~dp0creds.json\"\r\n"
	if err := os.WriteFile(bat, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return bat, func() int {
		b, _ := os.ReadFile(filepath.Join(dir, "runs"))
		return strings.Count(string(b), "x")
	}
}

func TestWindowsCommandString(t *testing.T) {
	bat, runs := winHelper(t)
	cmd := fmt.Sprintf(`"%s" --flag "two words"`, bat)
	v, err := processcreds.NewCredentials(cmd).Get()
	if err != nil || v.AccessKeyID != "AKIDWIN" || v.SecretAccessKey != "SECRETWIN" {
		t.Fatalf("ours: %q %v", v.AccessKeyID, err)
	}
	// D10: aws-sdk-go v1 escapes the string for CommandLineToArgvW, which cmd.exe does not use.
	_, goErr := v1pc.NewCredentials(cmd).Get()
	if goErr == nil || !strings.HasPrefix(goErr.Error(), "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status ") {
		t.Fatalf("aws-sdk-go v1 ran the quoted path: %v", goErr)
	}
	t.Logf("D10: aws-sdk-go v1 gives %q", goErr)
	if runs() != 1 {
		t.Fatalf("%d runs", runs())
	}
}

// NewCredentialsCommand: the arguments quoted by Go's rules make the command line, which
// cmd.exe runs verbatim.
func TestWindowsCommandArgs(t *testing.T) {
	bat, _ := winHelper(t)
	v, err := processcreds.NewCredentialsCommand(exec.Command(bat, "--flag", "two words")).Get()
	if err != nil || v.AccessKeyID != "AKIDWIN" {
		t.Fatalf("%q %v", v.AccessKeyID, err)
	}
	_, err = processcreds.NewCredentialsCommand(exec.Command(bat, "--flag", "other")).Get()
	want := "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 6"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestWindowsErrorsAsV1(t *testing.T) {
	for _, c := range []struct{ command, want string }{
		{"exit 3", "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3"},
		{"exit -1073741819", "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 0xc0000005"},
		{"echo {\"Version\":2}", "ProcessProviderVersionError: wrong version in process output (not 1)"},
		{"echo {\"Version\":1,\"AccessKeyId\":\"a\"}", "ProcessProviderRequiredError: missing SecretAccessKey in process output"},
		{" \t", "ProcessProviderExecutionError: failed to prepare command: command must not be empty"},
	} {
		_, ours := processcreds.NewCredentials(c.command).Get()
		_, theirs := v1pc.NewCredentials(c.command).Get()
		if ours == nil || ours.Error() != c.want {
			t.Errorf("%q: ours %v, want %q", c.command, ours, c.want)
		}
		if theirs == nil || theirs.Error() != c.want {
			t.Errorf("%q: aws-sdk-go v1 %v, want %q", c.command, theirs, c.want)
		}
	}
	// A NUL cannot reach CreateProcess: Go's EINVAL, for cmd.exe as found on %PATH%.
	cmdExe, err := exec.LookPath("cmd.exe")
	if err != nil {
		t.Fatal(err)
	}
	_, ours := processcreds.NewCredentials("echo a\x00b").Get()
	want := "ProcessProviderExecutionError: error in credential_process\ncaused by: fork/exec " + cmdExe + ": invalid argument"
	if ours == nil || ours.Error() != want {
		t.Errorf("NUL: ours %v, want %q", ours, want)
	}
}

func TestWindowsTimeout(t *testing.T) {
	start := time.Now()
	_, err := processcreds.NewCredentialsTimeout("ping -n 30 127.0.0.1 >nul", 300*time.Millisecond).Get()
	if err == nil || err.Error() != "ProcessProviderExecutionError: credential process timed out" {
		t.Fatalf("got %v", err)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Fatalf("the timeout took %v", el)
	}
}

func TestWindowsConcurrent(t *testing.T) {
	bat, runs := winHelper(t)
	creds := processcreds.NewCredentials(fmt.Sprintf(`"%s" --flag "two words"`, bat))
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := creds.Get(); err != nil || v.AccessKeyID != "AKIDWIN" {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 || runs() != 1 {
		t.Fatalf("%d bad results, %d runs", bad.Load(), runs())
	}
}

// The shared config's home is %USERPROFILE%, as aws-sdk-go v1's shareddefaults on Windows.
func TestWindowsProfile(t *testing.T) {
	home := tempDir(t)
	if err := os.Mkdir(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(home, ".aws", "credentials")
	ini := "[default]\r\naws_access_key_id = AKIDSTATIC\r\naws_secret_access_key = SECRETSTATIC\r\n" +
		"[proc]\r\ncredential_process = echo " + winJSON + "\r\n"
	if err := os.WriteFile(file, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SDK_LOAD_CONFIG", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("USERPROFILE", home)
	t.Setenv("HOME", filepath.Join(home, "not the home"))

	c, err := processcreds.NewCredentialsFromProfile("")
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Get()
	if err != nil || v.AccessKeyID != "AKIDSTATIC" || v.ProviderName != "SharedConfigCredentials: "+file {
		t.Fatalf("static: %q %q %v", v.AccessKeyID, v.ProviderName, err)
	}
	c, err = processcreds.NewCredentialsFromProfile("proc")
	if err != nil {
		t.Fatal(err)
	}
	if v, err = c.Get(); err != nil || v.AccessKeyID != "AKIDWIN" {
		t.Fatalf("process: %q %v", v.AccessKeyID, err)
	}
}

var _ credentials.Provider = (*processcreds.ProcessProvider)(nil)
