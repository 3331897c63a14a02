package vectors

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

var (
	nameRe       = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)
	divergenceRe = regexp.MustCompile(`^D([1-9]|10)$`)
	// {data}/file, {data}\dir\file, or "{data}\dir with space\file" in quotes.
	dataFileRe       = regexp.MustCompile(`\{data\}[/\\]([A-Za-z0-9_./\\-]+)`)
	quotedDataFileRe = regexp.MustCompile(`"\{data\}[/\\]([^"]+)"`)
)

// Validate checks that a case (before substitution) is well formed; dataDir is the absolute path
// of tests/vectors/data. It returns the problems found.
func Validate(c Case, dataDir string) []string {
	var p []string
	add := func(f string, a ...interface{}) { p = append(p, fmt.Sprintf(f, a...)) }
	if !nameRe.MatchString(c.Name) {
		add("name %q is not snake_case", c.Name)
	}
	if strings.TrimSpace(c.From) == "" {
		add("from is empty")
	}
	sources := 0
	for _, set := range []bool{c.Command != nil, c.Argv != nil, c.Stdout != nil, c.StdoutB64 != nil} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		add("needs exactly one of command, argv, stdout, stdout_b64 (has %d)", sources)
	}
	if c.Argv != nil && len(c.Argv) == 0 {
		add("argv is empty")
	}
	if c.StdoutB64 != nil {
		if _, err := base64.StdEncoding.DecodeString(*c.StdoutB64); err != nil {
			add("stdout_b64: %v", err)
		}
	}
	if o := c.Options; o.Stderr != nil && *o.Stderr != "inherit" && *o.Stderr != "capture" && *o.Stderr != "discard" {
		add("options.stderr %q is unknown", *o.Stderr)
	}
	if o := c.Options; o.Stdin != nil && *o.Stdin != "inherit" && *o.Stdin != "null" {
		add("options.stdin %q is unknown", *o.Stdin)
	}
	if c.Retrieves < 0 {
		add("retrieves is negative")
	}
	switch {
	case (c.Expect.OK == nil) == (c.Expect.Error == nil):
		add("expect needs exactly one of ok and error")
	case c.Expect.Error != nil:
		e := c.Expect.Error
		code, known := StatusCode[e.Status]
		if !known {
			add("status %q is not one a run can give", e.Status)
		} else if code != e.Code {
			add("status %s goes with code %s, not %s", e.Status, code, e.Code)
		}
		if (e.Message == nil) == (e.MessagePrefix == nil) {
			add("error needs exactly one of message and message_prefix")
			break
		}
		msg := e.Message
		if msg == nil {
			msg = e.MessagePrefix
		}
		if !strings.HasPrefix(*msg, e.Code+": ") {
			add("message %q does not start with its code", *msg)
		}
		if (e.Status == "PC_STATUS_TIMEOUT") != strings.HasPrefix(*msg, TimeoutMessage) {
			add("only PC_STATUS_TIMEOUT has the timeout message")
		}
	case c.Expect.OK != nil:
		if c.Expect.OK.ProviderName != "ProcessProvider" {
			add("provider_name %q is not ProcessProvider", c.Expect.OK.ProviderName)
		}
		if x := c.Expect.OK.Expiration; x != nil {
			if _, err := time.Parse(time.RFC3339Nano, Subst(*x, dataDir, Now())); err != nil {
				add("expiration %q: %v", *x, err)
			}
		}
		if c.Expect.OK.ExpirationToleranceMs < 0 {
			add("expiration_tolerance_ms is negative")
		}
	}
	if (c.Divergence == "") != (c.GoV1 == nil) {
		add("divergence and go_v1 go together")
	}
	if c.Divergence != "" && !divergenceRe.MatchString(c.Divergence) {
		add("divergence %q is not D1..D10", c.Divergence)
	}
	for name, g := range map[string]*GoV1{"go_v1": c.GoV1, "go_v1_windows": c.GoV1Windows} {
		if g != nil && !g.Any {
			if g.OK == nil {
				add("%s needs ok (or any)", name)
			} else if !*g.OK && (g.Code == "" || g.MessagePrefix == "") {
				add("%s with ok false needs code and message_prefix", name)
			}
		}
	}
	if c.GoV1Windows != nil && (c.Divergence != "" || IsWindowsFile(c.File)) {
		add("go_v1_windows is for cases aws-sdk-go v1 passes elsewhere (not with a divergence, not in windows*.json)")
	}
	// Every {data}/path that is mentioned must exist; a program run through argv must be a file
	// (executable unless the case expects it not to start).
	var files []string
	for _, a := range c.Argv {
		// An argv element is one path, spaces included.
		if rest, ok := strings.CutPrefix(a, "{data}"); ok && len(rest) > 1 {
			files = append(files, rest[1:])
		}
	}
	if c.Command != nil {
		t := *c.Command
		for _, m := range quotedDataFileRe.FindAllStringSubmatch(t, -1) {
			files = append(files, m[1])
		}
		for _, m := range dataFileRe.FindAllStringSubmatch(quotedDataFileRe.ReplaceAllString(t, ""), -1) {
			files = append(files, m[1])
		}
	}
	for _, f := range files {
		// Windows cases write their paths with backslashes.
		rel := filepath.FromSlash(strings.ReplaceAll(f, "\\", "/"))
		if _, err := os.Stat(filepath.Join(dataDir, rel)); err != nil {
			add("data file %s: %v", f, err)
		}
	}
	return p
}
