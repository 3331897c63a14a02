// Package vectors loads the conformance vectors of tests/vectors and compares outcomes with them.
//
// It serves the Go binding's suites: ../../vectors_test.go (the binding, aws-sdk-go v1 and Go's
// os/exec against the vectors) and ../../awsv2 (the aws-sdk-go-v2 provider); Validate checks the
// vector files themselves (vectors_test.go in this folder).
// Failure messages never show a secret or a session token, only that they differ and their
// lengths. It depends on nothing but the standard library.
package vectors

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Case is one conformance vector (see tests/vectors/README.md).
type Case struct {
	Name       string   `json:"name"`
	From       string   `json:"from"`
	Divergence string   `json:"divergence,omitempty"`
	Command    *string  `json:"command,omitempty"`
	Argv       []string `json:"argv,omitempty"`
	Stdout     *string  `json:"stdout,omitempty"`
	StdoutB64  *string  `json:"stdout_b64,omitempty"`
	Options    Options  `json:"options"`
	Retrieves  int      `json:"retrieves,omitempty"`
	Expect     Expect   `json:"expect"`
	GoV1       *GoV1    `json:"go_v1,omitempty"`
	// GoV1Windows is what aws-sdk-go v1 does on Windows when that differs from its expect (D10:
	// its rewrite of the output's \" breaks JSON strings holding an escaped quote).
	GoV1Windows *GoV1 `json:"go_v1_windows,omitempty"`

	File string `json:"-"` // the vector file the case came from
}

// Options are the provider options of a case; nil means the library's default.
type Options struct {
	TimeoutMs      *int64  `json:"timeout_ms,omitempty"`
	MaxBufSize     *int    `json:"max_buf_size,omitempty"`
	ExpiryWindowMs *int64  `json:"expiry_window_ms,omitempty"`
	DurationMs     *int64  `json:"duration_ms,omitempty"`
	Stderr         *string `json:"stderr,omitempty"`
	Stdin          *string `json:"stdin,omitempty"`
}

// Expect holds exactly one of OK and Error.
type Expect struct {
	OK    *ExpectOK    `json:"ok,omitempty"`
	Error *ExpectError `json:"error,omitempty"`
}

// ExpectOK describes expected credentials.
type ExpectOK struct {
	AccessKeyID           string  `json:"access_key_id"`
	SecretAccessKey       string  `json:"secret_access_key"`
	SessionToken          string  `json:"session_token"`
	AccountID             *string `json:"account_id"`
	ProviderName          string  `json:"provider_name"`
	Expiration            *string `json:"expiration"`
	ExpirationToleranceMs int64   `json:"expiration_tolerance_ms,omitempty"`
	Expired               bool    `json:"expired"`
}

// ExpectError describes an expected error.
type ExpectError struct {
	Status        string  `json:"status"`
	Code          string  `json:"code"`
	Message       *string `json:"message,omitempty"`
	MessagePrefix *string `json:"message_prefix,omitempty"`
}

// Text is the expected message or, failing that, its expected prefix ("" for nil).
func (e *ExpectError) Text() string {
	switch {
	case e == nil:
		return ""
	case e.Message != nil:
		return *e.Message
	case e.MessagePrefix != nil:
		return *e.MessagePrefix
	}
	return ""
}

// GoV1 is what aws-sdk-go v1 does instead, for cases that show a divergence.
type GoV1 struct {
	OK            *bool  `json:"ok,omitempty"`
	Any           bool   `json:"any,omitempty"`
	Code          string `json:"code,omitempty"`
	MessagePrefix string `json:"message_prefix,omitempty"`
	TimeoutMs     *int64 `json:"timeout_ms,omitempty"`
	Expired       *bool  `json:"expired,omitempty"`
}

// Error codes and texts shared by the vectors (aws-sdk-go v1's).
const (
	CodeExecution = "ProcessProviderExecutionError"
	CodeParse     = "ProcessProviderParseError"
	CodeVersion   = "ProcessProviderVersionError"
	CodeRequired  = "ProcessProviderRequiredError"

	// ParsePrefix is how every parse error starts, Go's (which then embeds the output) and ours.
	ParsePrefix = CodeParse + ": parse failed of credential_process output"
	// ProcessPrefix starts every error of a run that exited badly or could not start.
	ProcessPrefix = CodeExecution + ": error in credential_process\ncaused by: "
	// TimeoutMessage is the timeout error.
	TimeoutMessage = CodeExecution + ": credential process timed out"
)

// StatusCode maps each status name to the Go code its errors carry.
var StatusCode = map[string]string{
	"PC_STATUS_EXECUTION": CodeExecution,
	"PC_STATUS_TIMEOUT":   CodeExecution,
	"PC_STATUS_PARSE":     CodeParse,
	"PC_STATUS_VERSION":   CodeVersion,
	"PC_STATUS_REQUIRED":  CodeRequired,
}

// Load reads every case of every *.json file in dir, in file order, rejecting unknown fields.
func Load(dir string) ([]Case, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var all []Case
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var cases []Case
		if err := dec.Decode(&cases); err != nil {
			return nil, fmt.Errorf("%s: %v", filepath.Base(f), err)
		}
		for i := range cases {
			cases[i].File = filepath.Base(f)
		}
		all = append(all, cases...)
	}
	return all, nil
}

// GoV1Here is the divergence the case shows against aws-sdk-go v1 on this platform and what
// aws-sdk-go v1 does instead (nil when it gives the case's expectation): on Windows a
// go_v1_windows block (D10) comes first.
func (c Case) GoV1Here() (string, *GoV1) {
	if runtime.GOOS == "windows" && c.GoV1Windows != nil {
		return "D10", c.GoV1Windows
	}
	return c.Divergence, c.GoV1
}

// IsWindowsFile says whether a vector file holds the Windows cases (windows*.json).
func IsWindowsFile(file string) bool { return strings.HasPrefix(file, "windows") }

// Skip says why a case does not run on this platform ("" when it runs). The Windows cases
// (windows*.json: command strings for cmd.exe) run on Windows only. On Windows the other files'
// command and argv cases (POSIX shell commands and scripts) do not run, nor do the stdout cases
// whose bytes hold a NUL: their helper is cmd.exe's `type`, which stops at a NUL byte under
// Wine (the parser's handling of NUL bytes is the same everywhere and runs on POSIX).
func (c Case) Skip() string {
	if runtime.GOOS != "windows" {
		if IsWindowsFile(c.File) {
			return "a Windows case (cmd.exe)"
		}
		return ""
	}
	switch {
	case IsWindowsFile(c.File):
		return ""
	case c.Command != nil || c.Argv != nil:
		return "a POSIX case (sh command or script)"
	case c.Stdout != nil && strings.IndexByte(*c.Stdout, 0) >= 0:
		return "output with a NUL byte, which cmd.exe's type cannot print under Wine"
	case c.StdoutB64 != nil:
		if b, err := base64.StdEncoding.DecodeString(*c.StdoutB64); err == nil && bytes.IndexByte(b, 0) >= 0 {
			return "output with a NUL byte, which cmd.exe's type cannot print under Wine"
		}
	}
	return ""
}

var nowRe = regexp.MustCompile(`\{now([+-])([0-9]+)\}`)

// Now is the time a case's {now±N} substitutions are computed from: the current time in whole
// seconds.
func Now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// Subst applies the substitutions {data} and {now±N} to s.
func Subst(s, dataDir string, now time.Time) string {
	s = strings.ReplaceAll(s, "{data}", dataDir)
	return nowRe.ReplaceAllStringFunc(s, func(m string) string {
		g := nowRe.FindStringSubmatch(m)
		n, _ := strconv.ParseInt(g[2], 10, 64)
		if g[1] == "-" {
			n = -n
		}
		return now.Add(time.Duration(n) * time.Second).Format("2006-01-02T15:04:05Z")
	})
}

// Substituted returns a copy of c with the substitutions applied to command, argv, stdout and
// the expected expiration.
func (c Case) Substituted(dataDir string, now time.Time) Case {
	sub := func(p *string) *string {
		if p == nil {
			return nil
		}
		s := Subst(*p, dataDir, now)
		return &s
	}
	c.Command = sub(c.Command)
	c.Stdout = sub(c.Stdout)
	if c.Argv != nil {
		argv := make([]string, len(c.Argv))
		for i, a := range c.Argv {
			argv[i] = Subst(a, dataDir, now)
		}
		c.Argv = argv
	}
	if c.Expect.OK != nil {
		ok := *c.Expect.OK
		ok.Expiration = sub(ok.Expiration)
		c.Expect.OK = &ok
	}
	return c
}

// CommandString returns the command string of a substituted case that has no argv: its
// command, or, for stdout/stdout_b64, `cat '<file>'` (`type <file>` on Windows, unquoted so that
// aws-sdk-go v1's escaping leaves it alone) after writing the bytes to a new file in tmpDir.
func (c Case) CommandString(tmpDir string) (string, error) {
	var out []byte
	switch {
	case c.Command != nil:
		return *c.Command, nil
	case c.Stdout != nil:
		out = []byte(*c.Stdout)
	case c.StdoutB64 != nil:
		b, err := base64.StdEncoding.DecodeString(*c.StdoutB64)
		if err != nil {
			return "", err
		}
		out = b
	default:
		return "", fmt.Errorf("case %s has no command string", c.Name)
	}
	f, err := os.CreateTemp(tmpDir, "stdout-*")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Write(out); err != nil {
		return "", err
	}
	if runtime.GOOS == "windows" {
		if strings.ContainsAny(f.Name(), " \t\"&|<>^%()") {
			return "", fmt.Errorf("temp path %q holds a character cmd.exe would read", f.Name())
		}
		return "type " + f.Name(), f.Close()
	}
	if strings.Contains(f.Name(), "'") {
		return "", fmt.Errorf("temp path %q holds a quote", f.Name())
	}
	return "cat '" + f.Name() + "'", f.Close()
}

// Outcome is what one retrieve gave.
type Outcome struct {
	Err  string // the error's Error() text; "" on success
	Code string

	AccessKeyID, SecretAccessKey, SessionToken, ProviderName string
	AccountID                                                *string // nil: none, or not known (HasAccountID false)
	HasAccountID                                             bool    // whether the implementation reports account ids
	Expiration                                               *time.Time
	Expired                                                  bool
}

func (o Outcome) String() string {
	if o.Err != "" {
		return fmt.Sprintf("error %q", o.Err)
	}
	exp := "never"
	if o.Expiration != nil {
		exp = o.Expiration.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("ok key=%q token=(%d bytes) provider=%q expiration=%s expired=%v",
		o.AccessKeyID, len(o.SessionToken), o.ProviderName, exp, o.Expired)
}

// Compare returns how got differs from the case's expectation; nil when it matches. With
// goParseRule, parse errors only need Go's code and ParsePrefix (Go's message embeds the output).
func Compare(e Expect, got Outcome, goParseRule bool) []string {
	var diffs []string
	add := func(f string, a ...interface{}) { diffs = append(diffs, fmt.Sprintf(f, a...)) }
	if e.Error != nil {
		x := e.Error
		if got.Err == "" {
			return []string{fmt.Sprintf("want error %s, got %v", x.Code, got)}
		}
		if got.Code != x.Code {
			add("code: want %s, got %s (%q)", x.Code, got.Code, got.Err)
		}
		switch {
		case goParseRule && x.Code == CodeParse:
			if !strings.HasPrefix(got.Err, ParsePrefix) {
				add("message: want prefix %q, got %q", ParsePrefix, got.Err)
			}
		case x.Message != nil:
			if got.Err != *x.Message {
				add("message: want %q, got %q", *x.Message, got.Err)
			}
		case x.MessagePrefix != nil:
			if !strings.HasPrefix(got.Err, *x.MessagePrefix) {
				add("message: want prefix %q, got %q", *x.MessagePrefix, got.Err)
			}
		}
		return diffs
	}
	x := e.OK
	if got.Err != "" {
		return []string{fmt.Sprintf("want credentials, got error %q", got.Err)}
	}
	if got.AccessKeyID != x.AccessKeyID {
		add("access_key_id: want %q, got %q", x.AccessKeyID, got.AccessKeyID)
	}
	if got.SecretAccessKey != x.SecretAccessKey {
		add("secret_access_key: differs (want %d bytes, got %d; not shown)", len(x.SecretAccessKey), len(got.SecretAccessKey))
	}
	if got.SessionToken != x.SessionToken {
		add("session_token: differs (want %d bytes, got %d; not shown)", len(x.SessionToken), len(got.SessionToken))
	}
	if got.ProviderName != x.ProviderName {
		add("provider_name: want %q, got %q", x.ProviderName, got.ProviderName)
	}
	if got.HasAccountID && !equalPtr(got.AccountID, x.AccountID) {
		add("account_id: want %s, got %s", showPtr(x.AccountID), showPtr(got.AccountID))
	}
	if d := compareExpiration(x, got.Expiration); d != "" {
		add("%s", d)
	}
	if got.Expired != x.Expired {
		add("expired: want %v, got %v", x.Expired, got.Expired)
	}
	return diffs
}

func compareExpiration(x *ExpectOK, got *time.Time) string {
	if x.Expiration == nil {
		if got != nil {
			return fmt.Sprintf("expiration: want never, got %s", got.UTC().Format(time.RFC3339Nano))
		}
		return ""
	}
	want, err := time.Parse(time.RFC3339Nano, *x.Expiration)
	if err != nil {
		return fmt.Sprintf("expected expiration %q does not parse: %v", *x.Expiration, err)
	}
	if got == nil {
		return fmt.Sprintf("expiration: want %s, got never", *x.Expiration)
	}
	d := got.UnixMilli() - want.UnixMilli()
	if d < 0 {
		d = -d
	}
	if d > x.ExpirationToleranceMs {
		return fmt.Sprintf("expiration: want %s (tolerance %d ms), got %s", *x.Expiration,
			x.ExpirationToleranceMs, got.UTC().Format(time.RFC3339Nano))
	}
	return ""
}

// CompareGoV1 returns how Go's outcome differs from a divergence case's go_v1 block.
func CompareGoV1(g GoV1, got Outcome) []string {
	if g.Any {
		return nil
	}
	var diffs []string
	if g.OK != nil && *g.OK {
		if got.Err != "" {
			return []string{fmt.Sprintf("go_v1: want success, got %q", got.Err)}
		}
		if g.Expired != nil && got.Expired != *g.Expired {
			diffs = append(diffs, fmt.Sprintf("go_v1: expired want %v, got %v", *g.Expired, got.Expired))
		}
		return diffs
	}
	if got.Err == "" {
		return []string{fmt.Sprintf("go_v1: want error %s, got %v", g.Code, got)}
	}
	if g.Code != "" && got.Code != g.Code {
		diffs = append(diffs, fmt.Sprintf("go_v1: code want %s, got %q", g.Code, got.Err))
	}
	if !strings.HasPrefix(got.Err, g.MessagePrefix) {
		diffs = append(diffs, fmt.Sprintf("go_v1: want prefix %q, got %q", g.MessagePrefix, got.Err))
	}
	return diffs
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func showPtr(p *string) string {
	if p == nil {
		return "null"
	}
	return strconv.Quote(*p)
}
