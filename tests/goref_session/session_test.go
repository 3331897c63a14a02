// Package goref_session runs the profile vectors of ../vectors/profiles through aws-sdk-go v1's
// own session.NewSessionWithOptions and checks that Go resolves every profile as the vectors
// say, except for the cases that name a divergence, where Go must do what "go_v1" says instead.
//
// A "process" outcome is compared by letting Go run the command: PATH starts with a directory
// whose "sh" is this test binary, which prints the command it was given back as the secret.
package goref_session

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
)

// Returned as the key id by the stand-in shell.
const processKeyID = "PROCESS"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "sh" {
		standInShell()
		return
	}
	os.Exit(m.Run())
}

// standInShell runs as `sh -c <command>`: it prints credentials whose secret is the command.
func standInShell() {
	command := ""
	if len(os.Args) >= 3 && os.Args[1] == "-c" {
		command = os.Args[2]
	}
	out, _ := json.Marshal(map[string]interface{}{
		"Version": 1, "AccessKeyId": processKeyID, "SecretAccessKey": command,
	})
	os.Stdout.Write(out)
	os.Exit(0)
}

type staticOutcome struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token"`
	ProviderName    string `json:"provider_name"`
}

type errorOutcome struct {
	Status          string  `json:"status"`
	Code            *string `json:"code"`
	Message         *string `json:"message"`
	MessageContains *string `json:"message_contains"`
}

type outcome struct {
	Process  *string        `json:"process"`
	Static   *staticOutcome `json:"static"`
	Error    *errorOutcome  `json:"error"`
	Provider *string        `json:"provider"`
}

type vectorCase struct {
	Name         string            `json:"name"`
	From         string            `json:"from"`
	Divergence   string            `json:"divergence"`
	Files        map[string]string `json:"files"`
	FilesB64     map[string]string `json:"files_b64"`
	Env          map[string]string `json:"env"`
	Profile      *string           `json:"profile"`
	SharedConfig int               `json:"shared_config"`
	Expect       outcome           `json:"expect"`
	GoV1         *outcome          `json:"go_v1"`
}

func loadCases(t *testing.T) []vectorCase {
	paths, err := filepath.Glob(filepath.Join("..", "vectors", "profiles", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no profile vectors: %v", err)
	}
	sort.Strings(paths)
	var all []vectorCase
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var cases []vectorCase
		if err := json.Unmarshal(b, &cases); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		all = append(all, cases...)
	}
	return all
}

// providerType names the provider behind Go's credentials, without retrieving anything.
func providerType(c *credentials.Credentials) string {
	if c == nil {
		return "<nil credentials>"
	}
	v := reflect.ValueOf(c).Elem().FieldByName("provider")
	if !v.IsValid() || v.IsNil() {
		return "<no provider>"
	}
	return v.Elem().Type().String()
}

func firstLine(s string) string {
	if i := strings.Index(s, "\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// check compares what Go did with an outcome; it returns "" when they agree.
func check(want outcome, sess *session.Session, err error, sub func(string) string) string {
	switch {
	case want.Error != nil:
		if err == nil {
			return fmt.Sprintf("Go succeeded with provider %s, want an error", providerType(sess.Config.Credentials))
		}
		text := err.Error()
		aerr, isAws := err.(awserr.Error)
		if want.Error.Code != nil && isAws && aerr.Code() != *want.Error.Code {
			return fmt.Sprintf("Go code %q (%q), want %q", aerr.Code(), text, *want.Error.Code)
		}
		if want.Error.Message != nil {
			w := firstLine(sub(*want.Error.Message))
			g := firstLine(text)
			if !isAws && want.Error.Code != nil {
				g = *want.Error.Code + ": " + g
			}
			if g != w {
				return fmt.Sprintf("Go error %q, want %q", g, w)
			}
		}
		if want.Error.MessageContains != nil && !strings.Contains(text, sub(*want.Error.MessageContains)) {
			return fmt.Sprintf("Go error %q lacks %q", text, sub(*want.Error.MessageContains))
		}
		return ""
	case err != nil:
		return fmt.Sprintf("Go failed: %v", err)
	case want.Provider != nil:
		if got := providerType(sess.Config.Credentials); got != *want.Provider {
			return fmt.Sprintf("Go provider %s, want %s", got, *want.Provider)
		}
		return ""
	}
	got := providerType(sess.Config.Credentials)
	v, gerr := sess.Config.Credentials.Get()
	switch {
	case want.Process != nil:
		if got != "*processcreds.ProcessProvider" {
			return fmt.Sprintf("Go provider %s, want the process provider", got)
		}
		if gerr != nil {
			return fmt.Sprintf("Go retrieve failed: %v", gerr)
		}
		if v.AccessKeyID != processKeyID || v.SecretAccessKey != sub(*want.Process) {
			return fmt.Sprintf("Go ran %q, want %q", v.SecretAccessKey, sub(*want.Process))
		}
	case want.Static != nil:
		if gerr != nil {
			return fmt.Sprintf("Go retrieve failed (provider %s): %v", got, gerr)
		}
		w := *want.Static
		g := staticOutcome{v.AccessKeyID, v.SecretAccessKey, v.SessionToken, v.ProviderName}
		w = staticOutcome{sub(w.AccessKeyID), sub(w.SecretAccessKey), sub(w.SessionToken), sub(w.ProviderName)}
		if got != "*credentials.StaticProvider" || g != w {
			return fmt.Sprintf("Go gave %+v from %s, want %+v", g, got, w)
		}
	default:
		return "outcome has no kind"
	}
	return ""
}

func TestProfileVectors(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "sh")); err != nil {
		t.Fatal(err)
	}
	data, err := filepath.Abs(filepath.Join("..", "vectors", "profiles", "data"))
	if err != nil {
		t.Fatal(err)
	}
	path := os.Getenv("PATH")

	cases := loadCases(t)
	if len(cases) < 100 {
		t.Fatalf("only %d cases", len(cases))
	}
	agreed, diverged := 0, 0
	for _, c := range cases {
		c := c
		ok := t.Run(c.Name, func(t *testing.T) {
			home := t.TempDir()
			sub := func(s string) string {
				return strings.NewReplacer("{home}", home, "{data}", data).Replace(s)
			}
			write := func(rel string, b []byte) {
				p := filepath.Join(home, sub(rel))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for rel, content := range c.Files {
				write(rel, []byte(sub(content)))
			}
			for rel, content := range c.FilesB64 {
				b, err := base64.StdEncoding.DecodeString(content)
				if err != nil {
					t.Fatal(err)
				}
				write(rel, b)
			}

			// Only the case's variables (and the stand-in shell's PATH) reach Go.
			for _, kv := range os.Environ() {
				if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") || k == "HOME" {
					t.Setenv(k, "")
					os.Unsetenv(k)
				}
			}
			t.Setenv("HOME", home)
			t.Setenv("PATH", bin+string(os.PathListSeparator)+path)
			for k, v := range c.Env {
				t.Setenv(k, sub(v))
			}

			opts := session.Options{SharedConfigState: session.SharedConfigState(c.SharedConfig)}
			if c.Profile != nil {
				opts.Profile = sub(*c.Profile)
			}
			sess, err := session.NewSessionWithOptions(opts)

			if c.Divergence == "" {
				if msg := check(c.Expect, sess, err, sub); msg != "" {
					t.Errorf("%s (from %s)", msg, c.From)
				}
				return
			}
			if c.GoV1 == nil {
				t.Fatalf("divergence %s without go_v1", c.Divergence)
			}
			if msg := check(*c.GoV1, sess, err, sub); msg != "" {
				t.Errorf("divergence %s: %s", c.Divergence, msg)
			}
			// Go must really differ from this library here.
			if check(c.Expect, sess, err, sub) == "" {
				t.Errorf("divergence %s: Go does what this library does", c.Divergence)
			}
		})
		if ok && c.Divergence == "" {
			agreed++
		} else if ok {
			diverged++
		}
	}
	t.Logf("%d cases: Go agrees on %d, differs as documented on %d", len(cases), agreed, diverged)
}
