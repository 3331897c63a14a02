//go:build !windows

package processcreds_test

// The profile vectors (tests/vectors/profiles/*.json) through NewCredentialsFromProfile. A
// "process" outcome is checked by running the command: PATH starts with a directory whose "sh"
// is a stand-in script that writes the command it was given to a file and prints credentials.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/processcreds/processcreds/bindings/go"
)

// The stand-in shell: `sh -c <command>` writes the command to $PC_STANDIN_OUT and prints
// credentials with this key id. Its own interpreter is named by absolute path.
const standInKeyID = "PROCESS"

const standInShell = `#!/bin/sh
printf '%s' "$2" > "$PC_STANDIN_OUT"
printf '{"Version":1,"AccessKeyId":"PROCESS","SecretAccessKey":"standin"}'
`

type profileCase struct {
	Name         string            `json:"name"`
	From         string            `json:"from"`
	Divergence   string            `json:"divergence"`
	Note         string            `json:"note"`
	Files        map[string]string `json:"files"`
	FilesB64     map[string]string `json:"files_b64"`
	Env          map[string]string `json:"env"`
	Profile      *string           `json:"profile"`
	SharedConfig uint32            `json:"shared_config"`
	Expect       profileOutcome    `json:"expect"`
	GoV1         json.RawMessage   `json:"go_v1"`
}

type profileOutcome struct {
	Process *string `json:"process"`
	Static  *struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		SessionToken    string `json:"session_token"`
		ProviderName    string `json:"provider_name"`
	} `json:"static"`
	Error *struct {
		Status          string  `json:"status"`
		Code            string  `json:"code"`
		Message         *string `json:"message"`
		MessageContains *string `json:"message_contains"`
	} `json:"error"`
}

func loadProfileCases(t *testing.T, dir string) []profileCase {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var all []profileCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var cases []profileCase
		if err := dec.Decode(&cases); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		all = append(all, cases...)
	}
	return all
}

func TestProfileVectors(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "sh"), []byte(standInShell), 0o755); err != nil {
		t.Fatal(err)
	}
	vdir, _ := vectorDir(t)
	dir := filepath.Join(vdir, "profiles")
	data := filepath.Join(dir, "data")
	path := os.Getenv("PATH")
	cases := loadProfileCases(t, dir)
	if len(cases) == 0 {
		t.Fatal("no profile vectors")
	}
	for _, c := range cases {
		c := c
		t.Run(c.Name, func(t *testing.T) {
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
			// Only the case's variables reach the resolver (and PATH, for the stand-in shell).
			for _, kv := range os.Environ() {
				if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") || k == "HOME" {
					t.Setenv(k, "")
					os.Unsetenv(k)
				}
			}
			t.Setenv("HOME", home)
			t.Setenv("PATH", bin+string(os.PathListSeparator)+path)
			ran := filepath.Join(home, "standin-command")
			t.Setenv("PC_STANDIN_OUT", ran)
			for k, v := range c.Env {
				t.Setenv(k, sub(v))
			}
			profile := ""
			if c.Profile != nil {
				profile = sub(*c.Profile)
			}
			creds, err := processcreds.NewCredentialsFromProfile(profile,
				processcreds.WithSharedConfigState(processcreds.SharedConfigState(c.SharedConfig)))
			x := c.Expect
			if x.Error != nil {
				pe, ok := err.(*processcreds.Error)
				if !ok {
					t.Fatalf("want error %s, got %v", x.Error.Code, err)
				}
				if pe.Status().String() != x.Error.Status || pe.Code() != x.Error.Code {
					t.Errorf("status/code: want %s %s, got %s %s", x.Error.Status, x.Error.Code, pe.Status(), pe.Code())
				}
				if x.Error.Message != nil && pe.Error() != sub(*x.Error.Message) {
					t.Errorf("message: want %q, got %q", sub(*x.Error.Message), pe.Error())
				}
				if x.Error.MessageContains != nil && !strings.Contains(pe.Error(), sub(*x.Error.MessageContains)) {
					t.Errorf("message: want a part %q, got %q", sub(*x.Error.MessageContains), pe.Error())
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			v, err := creds.Get()
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			switch {
			case x.Process != nil:
				command, err := os.ReadFile(ran)
				if err != nil {
					t.Fatalf("the stand-in shell did not run: %v", err)
				}
				if v.AccessKeyID != standInKeyID || string(command) != sub(*x.Process) || v.ProviderName != processcreds.ProviderName {
					t.Errorf("process: want %q, ran %q (key %q, provider %q)", sub(*x.Process), command, v.AccessKeyID, v.ProviderName)
				}
			case x.Static != nil:
				s := x.Static
				if v.AccessKeyID != s.AccessKeyID || v.SecretAccessKey != s.SecretAccessKey ||
					v.SessionToken != s.SessionToken || v.ProviderName != sub(s.ProviderName) {
					t.Errorf("static: want key %q provider %q, got key %q provider %q (secrets compared, not shown)",
						s.AccessKeyID, sub(s.ProviderName), v.AccessKeyID, v.ProviderName)
				}
				if creds.IsExpired() {
					t.Error("static profile credentials report expired")
				}
			default:
				t.Fatal("case has no expectation")
			}
		})
	}
}
