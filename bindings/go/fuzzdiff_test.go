//go:build !windows

package processcreds_test

// A differential fuzz test of the output parser: documents generated deterministically from a
// seed run through aws-sdk-go v1's own processcreds and through this binding, as `cat <file>`
// helpers behind aws-sdk-go v1's credentials.Credentials. Both must succeed with the same
// credentials, expiry (at millisecond precision: the C ABI reports milliseconds) and IsExpired,
// or both fail with the same code (and, but for parse errors, whose text differs by D4, the same
// Error() text). A document that hits D8 (invalid UTF-8, a lone surrogate escape or \u0000 in a
// JSON string) must be a parse error here, whatever aws-sdk-go v1 makes of it.
//
// The documents start from valid credential objects and are mutated at the JSON level (key case
// folding, duplicates, nulls, wrong types, nested unknown values, Version forms, string escapes,
// Expiration variants, whitespace, trailing data, top-level non-objects, deep nesting) and at the
// byte level (truncation, insertions, deletions, bit flips). Every fake secret starts with "zqx",
// which no error text of ours may contain (D4).
//
//	PC_FUZZDIFF_N      documents to run (default 1500; a third of that under -race)
//	PC_FUZZDIFF_START  index of the first document (to run a long campaign in chunks)
//	PC_FUZZDIFF_SEED   the campaign's seed (default 1)
//
// Document i of seed s is the same on every machine, so a failure is reproduced by running that
// one document: PC_FUZZDIFF_START=i PC_FUZZDIFF_N=1 PC_FUZZDIFF_SEED=s.

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	v1pc "github.com/aws/aws-sdk-go/aws/credentials/processcreds"

	"github.com/processcreds/processcreds/bindings/go"
	"github.com/processcreds/processcreds/bindings/go/internal/vectors"
)

// fdBufSize is the MaxBufSize of both sides: larger than any generated document, so that
// aws-sdk-go v1 never truncates and D3 never applies.
const fdBufSize = 1 << 18

// fdFixed documents run before the generated ones, whatever the count: edges of the areas the
// generator explores, and every document once found to differ (kept as regression cases).
var fdFixed = []string{
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS"}`,
	"{\"version\":1,\"accessKeyID\":\"AK\",\"\u017fecretAccessKey\":\"zqxS\",\"SessionTo\u212aen\":\"T\"}",
	"{\"Version\":1,\"AccessKey\u0130d\":\"AK\",\"SecretAccessKey\":\"zqxS\"}",
	"{\"Version\":1,\"AccessKey\u0131d\":\"AK\",\"SecretAccessKey\":\"zqxS\"}",
	`{"\u0056ersion":1,"\u0041ccessKeyId":"AK","\u017fecretAccessKey":"zqxS","SessionTo\u212Aen":"T"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","accesskeyid":"AK2","ACCESSKEYID":null}`,
	`{"Version":-0,"AccessKeyId":"AK","SecretAccessKey":"zqxS"}`,
	`{"Version":1.0,"AccessKeyId":"AK","SecretAccessKey":"zqxS"}`,
	`{"Version":9223372036854775808,"AccessKeyId":"AK","SecretAccessKey":"zqxS"}`,
	`{"Version":"1","AccessKeyId":"AK","SecretAccessKey":"zqxS"}`,
	`{"Version":1,"Version":null,"AccessKeyId":"AK","SecretAccessKey":"zqxS"}`,
	`null`,
	` [] `,
	"\ufeff{\"Version\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"zqxS\"}",
	"\r\n{\"Version\":1,\t\"AccessKeyId\":\"AK\",\n\"SecretAccessKey\":\"zqxS\"}\r\n",
	"{\"Version\":1,\f\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"zqxS\"}",
	"{\"Version\":1,\u00a0\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"zqxS\"}",
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS"} {}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":" "}`,
	`{"Version":1,"AccessKeyId":"","SecretAccessKey":""}`,
	`{"Version":1,"AccessKeyId":5,"SecretAccessKey":"zqxS"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","AccountId":5,"CredentialScope":{"a":[1,{"b":null}]}}`,
	`{"Version":1,"AccessKeyId":"A\"\\\/\b\f\n\r\tK\u00e9\ud83d\ude00\uFFFF","SecretAccessKey":"zqxS"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","x":"\ud800"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","x":"\u0000"}`,
	"{\"Version\":1,\"AccessKeyId\":\"A\xffK\",\"SecretAccessKey\":\"zqxS\"}",
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":"2030-01-01T1:00:00,5+24:60"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":"2000-02-29T23:59:59.9999999999-00:01"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":"1900-02-29T00:00:00Z"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":"2030-01-01t00:00:00Z"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":"2030-01-01T00:00:00z"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":"2030-01-01T00:00:00\u005a"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":"0000-01-01T00:00:00+24:60"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":"9999-12-31T23:59:59.999999999-24:60"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":"0001-01-01T00:00:00.0001Z"}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":"2030-01-01T00:00:00Z","Expiration":null}`,
	`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS","Expiration":null,"Expiration":"1999-01-01T00:00:00Z"}`,
	`{"x":` + strings.Repeat("[", 9_999) + strings.Repeat("]", 9_999) + `,"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS"}`,
	`{"x":` + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + `,"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS"}`,
	strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000),
	strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001),
}

// fdOutcome is what one Get through credentials.Credentials gave.
type fdOutcome struct {
	err       error
	code      string
	akid      string
	secret    string
	token     string
	expiresMs int64 // ExpiresAt().UnixMilli(); the zero time when the credentials never expire
	expired   bool
}

func (o fdOutcome) String() string {
	if o.err != nil {
		return fmt.Sprintf("error %q", o.err.Error())
	}
	exp := "zero time (never expires)"
	if o.expiresMs != fdZeroMs {
		exp = time.UnixMilli(o.expiresMs).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	return fmt.Sprintf("ok AccessKeyID=%q SecretAccessKey=%q SessionToken=%q ExpiresAt=%s IsExpired=%v",
		o.akid, o.secret, o.token, exp, o.expired)
}

// kind is "ok" or the error's code.
func (o fdOutcome) kind() string {
	if o.err == nil {
		return "ok"
	}
	return o.code
}

var fdZeroMs = time.Time{}.UnixMilli()

func fdGet(creds *credentials.Credentials) fdOutcome {
	v, err := creds.Get()
	if err != nil {
		o := fdOutcome{err: err, code: "(not an awserr.Error)"}
		var ae awserr.Error
		if errors.As(err, &ae) {
			o.code = ae.Code()
		}
		return o
	}
	o := fdOutcome{akid: v.AccessKeyID, secret: v.SecretAccessKey, token: v.SessionToken, expired: creds.IsExpired()}
	at, err := creds.ExpiresAt()
	if err != nil {
		return fdOutcome{err: err, code: "ExpiresAt"}
	}
	o.expiresMs = at.UnixMilli()
	return o
}

// fdRunner runs documents through both sides, one temporary file rewritten for each.
type fdRunner struct {
	path, command string
}

func newFDRunner(t *testing.T) *fdRunner {
	path := filepath.Join(t.TempDir(), "out.json")
	return &fdRunner{path: path, command: "cat '" + path + "'"}
}

func (r *fdRunner) run(t *testing.T, doc []byte) (ours, theirs fdOutcome) {
	if err := os.WriteFile(r.path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	p := processcreds.NewProvider(r.command, func(p *processcreds.ProcessProvider) { p.MaxBufSize = fdBufSize })
	ours = fdGet(credentials.NewCredentials(p))
	p.Close()
	theirs = fdGet(v1pc.NewCredentials(r.command, func(p *v1pc.ProcessProvider) { p.MaxBufSize = fdBufSize }))
	return ours, theirs
}

// fdMismatch says how the outcomes differ ("" when they agree). For a D8 document only ours is
// checked: it must be a parse error.
func fdMismatch(doc []byte, ours, theirs fdOutcome) string {
	if ours.err != nil && ours.code == vectors.CodeParse {
		if !strings.HasPrefix(ours.err.Error(), vectors.ParsePrefix) {
			return "our parse error does not start with " + strconv.Quote(vectors.ParsePrefix)
		}
		if strings.Contains(ours.err.Error(), "zqx") {
			return "our parse error shows a secret (D4)"
		}
	}
	if fdD8(doc) {
		if ours.kind() != vectors.CodeParse {
			return "D8 document: ours is not a parse error"
		}
		return ""
	}
	switch {
	case ours.kind() != theirs.kind():
		return fmt.Sprintf("outcome: ours %s, aws-sdk-go v1 %s", ours.kind(), theirs.kind())
	case ours.err != nil:
		if ours.code != vectors.CodeParse && ours.err.Error() != theirs.err.Error() {
			return "Error() text"
		}
		return ""
	}
	var d []string
	if ours.akid != theirs.akid {
		d = append(d, "AccessKeyID")
	}
	if ours.secret != theirs.secret {
		d = append(d, "SecretAccessKey")
	}
	if ours.token != theirs.token {
		d = append(d, "SessionToken")
	}
	if ours.expiresMs != theirs.expiresMs {
		d = append(d, "ExpiresAt")
	}
	if ours.expired != theirs.expired {
		d = append(d, "IsExpired")
	}
	if len(d) > 0 {
		return "differ in " + strings.Join(d, ", ")
	}
	return ""
}

// fdD8 says whether a document hits D8: invalid UTF-8, or a JSON string holding \u0000 or a
// surrogate escape that is not a high one immediately followed by a low one. (Exact for
// well-formed JSON; malformed JSON is a parse error on both sides, which both checks accept.)
func fdD8(doc []byte) bool {
	if !utf8.Valid(doc) {
		return true
	}
	in := false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if !in {
			in = c == '"'
			continue
		}
		switch c {
		case '"':
			in = false
		case '\\':
			if i+1 < len(doc) && doc[i+1] != 'u' {
				i++
				continue
			}
			hi, ok := fdHex4(doc, i+2)
			if !ok {
				i++
				continue
			}
			switch {
			case hi == 0 || (hi >= 0xDC00 && hi <= 0xDFFF):
				return true
			case hi >= 0xD800 && hi <= 0xDBFF:
				lo, ok := fdHex4(doc, i+8)
				if !ok || doc[i+6] != '\\' || doc[i+7] != 'u' || lo < 0xDC00 || lo > 0xDFFF {
					return true
				}
				i += 11
			default:
				i += 5
			}
		}
	}
	return false
}

func fdHex4(b []byte, at int) (rune, bool) {
	if at < 0 || at+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	if err != nil || strings.ContainsAny(string(b[at:at+4]), "+-_xX") {
		return 0, false
	}
	return rune(v), true
}

func fdEnvInt(t *testing.T, name string, def int64) int64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return n
}

func TestFuzzDifferentialOutput(t *testing.T) {
	defN := int64(1500)
	if raceDetector {
		defN = 500
	}
	n := fdEnvInt(t, "PC_FUZZDIFF_N", defN)
	start := fdEnvInt(t, "PC_FUZZDIFF_START", 0)
	seed := fdEnvInt(t, "PC_FUZZDIFF_SEED", 1)
	r := newFDRunner(t)
	began := time.Now()

	failures := 0
	report := func(name string, doc []byte, ours, theirs fdOutcome, why string) {
		failures++
		if failures > 20 {
			return
		}
		min := fdMinimize(t, r, doc, why)
		mo, mt := r.run(t, min)
		t.Errorf("%s: %s\n  document:  %q\n  ours:      %v\n  aws-sdk-go v1: %v\n  minimized: %q\n  ours:      %v\n  aws-sdk-go v1: %v",
			name, why, doc, ours, theirs, min, mo, mt)
	}

	fixed := map[string]int{}
	for i, doc := range fdFixed {
		ours, theirs := r.run(t, []byte(doc))
		fixed[ours.kind()+" / "+theirs.kind()]++
		if why := fdMismatch([]byte(doc), ours, theirs); why != "" {
			report(fmt.Sprintf("fixed document %d", i), []byte(doc), ours, theirs, why)
		}
	}

	byCategory := map[string]int{}
	byOutcome := map[string]int{}
	d8 := 0
	for i := start; i < start+n; i++ {
		doc, cats := fdGenerate(seed, i)
		if len(doc) >= fdBufSize {
			t.Fatalf("seed %d document %d: %d bytes, over the MaxBufSize of the test", seed, i, len(doc))
		}
		seen := map[string]bool{}
		for _, c := range cats {
			if !seen[c] {
				seen[c] = true
				byCategory[c]++
			}
		}
		ours, theirs := r.run(t, doc)
		if fdD8(doc) {
			d8++
			byOutcome["D8 (aws-sdk-go v1 "+theirs.kind()+")"]++
		} else {
			k := ours.kind() + " / " + theirs.kind()
			if theirs.err == nil && theirs.expiresMs != fdZeroMs {
				k += " (expiring)"
			}
			byOutcome[k]++
		}
		if why := fdMismatch(doc, ours, theirs); why != "" {
			report(fmt.Sprintf("seed %d document %d (%s)", seed, i, strings.Join(cats, "+")), doc, ours, theirs, why)
		}
	}
	if failures > 20 {
		t.Errorf("%d mismatches in all, the first 20 shown", failures)
	}
	t.Logf("%d fixed documents: %s", len(fdFixed), fdTally(fixed))
	t.Logf("%d documents (seed %d, from %d) in %v, %d hitting D8; %d mismatches",
		n, seed, start, time.Since(began).Round(time.Millisecond), d8, failures)
	t.Logf("documents by mutation (one document may have several): %s", fdTally(byCategory))
	t.Logf("outcomes (ours / aws-sdk-go v1): %s", fdTally(byOutcome))
}

func fdTally(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}

// fdMinimize removes chunks of the document (halving their size down to one byte) while the
// same mismatch remains, within a bounded number of runs.
func fdMinimize(t *testing.T, r *fdRunner, doc []byte, why string) []byte {
	cur := append([]byte(nil), doc...)
	runs := 0
	for chunk := len(cur) / 2; chunk >= 1; chunk /= 2 {
		for at := 0; at+chunk <= len(cur) && runs < 1500; {
			try := append(append([]byte(nil), cur[:at]...), cur[at+chunk:]...)
			runs++
			ours, theirs := r.run(t, try)
			if fdMismatch(try, ours, theirs) == why {
				cur = try
			} else {
				at += chunk
			}
		}
	}
	return cur
}

// ---- generation ----

type fdGen struct {
	r    *rand.Rand
	cats []string
}

// fdGenerate makes document i of a seed, and the mutations applied to it.
func fdGenerate(seed, i int64) ([]byte, []string) {
	g := &fdGen{r: rand.New(rand.NewSource(seed*1_000_003 + i*7919 + 17))}
	return g.document(), g.cats
}

func (g *fdGen) intn(n int) int           { return g.r.Intn(n) }
func (g *fdGen) chance(p float64) bool    { return g.r.Float64() < p }
func (g *fdGen) pick(xs ...string) string { return xs[g.r.Intn(len(xs))] }

type fdMember struct{ key, val string } // raw JSON: the key with its quotes, the value

var fdFields = []string{"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"}

func (g *fdGen) document() []byte {
	m := g.base()
	// JSON-level mutations.
	mutators := []struct {
		name string
		f    func([]fdMember) []fdMember
	}{
		{"key-fold", g.mutKeyFold},
		{"duplicate", g.mutDuplicate},
		{"null", g.mutNull},
		{"wrong-type", g.mutWrongType},
		{"nested-unknown", g.mutUnknown},
		{"version", g.mutVersion},
		{"string-escapes", g.mutStringEscapes},
		{"expiration", g.mutExpiration},
		{"expiration", g.mutExpiration},
		{"expiration", g.mutExpiration},
		{"missing-field", g.mutRemove},
		{"empty-value", g.mutEmpty},
	}
	if g.chance(0.02) {
		g.cats = append(g.cats, "long-value")
		m = g.mutLong(m)
	}
	if g.chance(0.02) {
		g.cats = append(g.cats, "many-members")
		m = g.mutMany(m)
	}
	k := 1 + g.intn(2)
	if g.chance(0.1) {
		k = 0
	}
	if g.chance(0.15) {
		k += 2 + g.intn(3)
	}
	for j := 0; j < k; j++ {
		mu := mutators[g.intn(len(mutators))]
		g.cats = append(g.cats, mu.name)
		m = mu.f(m)
	}
	// Serialization, with whitespace between tokens.
	wild := g.chance(0.12)
	if wild {
		g.cats = append(g.cats, "whitespace")
	}
	doc := g.serialize(m, wild)
	// Document-level mutations.
	if g.chance(0.08) {
		g.cats = append(g.cats, "trailing")
		doc = g.trailing(doc)
	}
	if g.chance(0.06) {
		g.cats = append(g.cats, "top-level")
		doc = g.topLevel(doc)
	}
	if g.chance(0.01) {
		g.cats = append(g.cats, "deep")
		doc = g.deep(doc)
	}
	if g.chance(0.07) {
		g.cats = append(g.cats, "truncate")
		doc = doc[:g.intn(len(doc)+1)]
	}
	if g.chance(0.12) {
		g.cats = append(g.cats, "byte-edit")
		doc = g.byteEdits(doc)
	}
	if len(g.cats) == 0 {
		g.cats = append(g.cats, "valid")
	}
	return doc
}

func fdQuote(s string) string { return `"` + s + `"` }

// base is a valid credential object, its members in random order.
func (g *fdGen) base() []fdMember {
	m := []fdMember{
		{fdQuote("Version"), "1"},
		{fdQuote("AccessKeyId"), fdQuote(g.akid())},
		{fdQuote("SecretAccessKey"), fdQuote(g.secret())},
	}
	if g.chance(0.7) {
		m = append(m, fdMember{fdQuote("SessionToken"), fdQuote(g.token())})
	}
	if g.chance(0.6) {
		m = append(m, fdMember{fdQuote("Expiration"), fdQuote(g.validTime())})
	}
	if g.chance(0.2) {
		m = append(m, fdMember{fdQuote("AccountId"), fdQuote(strconv.Itoa(100000000000 + g.intn(899999999999)))})
	}
	if g.chance(0.1) {
		m = append(m, fdMember{fdQuote("CredentialScope"), fdQuote("us-east-1")})
	}
	g.r.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
	return m
}

const fdUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
const fdAlnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (g *fdGen) randFrom(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.intn(len(alphabet))]
	}
	return string(b)
}

func (g *fdGen) akid() string   { return g.pick("AKIA", "ASIA") + g.randFrom(fdUpper, 16) }
func (g *fdGen) secret() string { return "zqx" + g.randFrom(fdAlnum+"+/", 37) }
func (g *fdGen) token() string  { return "IQoJ" + g.randFrom(fdAlnum+"+/=", 20+g.intn(60)) }

// field finds the members whose key is a field name spelled exactly.
func fdIndexes(m []fdMember, name string) []int {
	var idx []int
	for i, x := range m {
		if x.key == fdQuote(name) {
			idx = append(idx, i)
		}
	}
	return idx
}

func (g *fdGen) anyIndex(m []fdMember) int {
	if len(m) == 0 {
		return -1
	}
	return g.intn(len(m))
}

func (g *fdGen) insert(m []fdMember, x fdMember) []fdMember {
	at := g.intn(len(m) + 1)
	m = append(m, fdMember{})
	copy(m[at+1:], m[at:])
	m[at] = x
	return m
}

// keyVariant spells a field name in one of the ways Go may or may not fold to it.
func (g *fdGen) keyVariant(name string) string {
	runes := []rune(name)
	if len(runes) == 0 {
		return fdQuote(g.pick("", " ", "\\u0000"))
	}
	switch g.intn(9) {
	case 0: // random ASCII case
		for i, c := range runes {
			if g.chance(0.5) {
				runes[i] = []rune(strings.ToUpper(string(c)))[0]
			} else {
				runes[i] = []rune(strings.ToLower(string(c)))[0]
			}
		}
		return fdQuote(string(runes))
	case 1:
		return fdQuote(g.pick(strings.ToLower(name), strings.ToUpper(name)))
	case 2: // the runes whose fold orbits reach ASCII letters (and some that do not)
		for i, c := range runes {
			switch {
			case (c == 's' || c == 'S') && g.chance(0.7):
				runes[i] = g.pickRune('ſ', 'ſ', 'ｓ', 'ѕ')
			case (c == 'k' || c == 'K') && g.chance(0.7):
				runes[i] = g.pickRune('K', 'K', 'К', 'Κ', 'ｋ')
			case (c == 'i' || c == 'I') && g.chance(0.7):
				runes[i] = g.pickRune('ı', 'İ', 'і', 'ℹ')
			case (c == 'e' || c == 'E') && g.chance(0.2):
				runes[i] = g.pickRune('е', 'Ε', 'ℯ')
			case (c == 'n' || c == 'N') && g.chance(0.2):
				runes[i] = g.pickRune('Ν', 'ｎ')
			}
		}
		return fdQuote(string(runes))
	case 3: // escaped letters, in any hex case
		var b strings.Builder
		for _, c := range runes {
			if g.chance(0.3) {
				if g.chance(0.2) {
					c = []rune(strings.ToLower(string(c)))[0]
				}
				switch {
				case c == 's' && g.chance(0.3):
					c = 'ſ'
				case c == 'k' && g.chance(0.3):
					c = 'K'
				}
				b.WriteString(g.hexEscape(c))
			} else {
				b.WriteRune(c)
			}
		}
		return fdQuote(b.String())
	case 4: // near misses
		s := name
		switch g.intn(8) {
		case 0:
			s += g.pick(" ", "x", "\\u0000", "\\t", "\u00a0", "s")
		case 1:
			s = g.pick(" ", "_", "\\n", "x") + s
		case 2:
			i := g.intn(len(s))
			s = s[:i] + s[i+1:]
		case 3:
			i := g.intn(len(s) + 1)
			s = s[:i] + g.pick("-", "_", " ", "\\/", "\u200b") + s[i:]
		case 4:
			s = strings.Replace(s, "Id", "ID", 1)
		case 5:
			s = strings.ToLower(s[:1]) + s[1:]
		case 6:
			s = strings.Replace(s, "Key", "Keys", 1)
		default:
			s = "Access" + s
		}
		return fdQuote(s)
	case 5: // the Go field name of AccessKeyId
		if name == "AccessKeyId" {
			return fdQuote(g.pick("AccessKeyID", "accessKeyID", "ACCESSKEYID"))
		}
		return fdQuote(name)
	case 6: // combining and composed forms: never equal
		i := g.intn(len(runes))
		return fdQuote(string(runes[:i+1]) + "\u0301" + string(runes[i+1:]))
	case 7: // an escaped non-ASCII folding rune
		s := strings.Replace(name, "s", g.pick("\\u017f", "\\u017F", "ſ"), 1)
		s = strings.Replace(s, "K", g.pick("\\u212a", "\\u212A", "K", "k"), 1)
		return fdQuote(s)
	default:
		return fdQuote(name)
	}
}

func (g *fdGen) pickRune(rs ...rune) rune { return rs[g.intn(len(rs))] }

func (g *fdGen) hexEscape(c rune) string {
	if c > 0xFFFF {
		hi, lo := fdSurrogates(c)
		return g.hexEscape(hi) + g.hexEscape(lo)
	}
	s := fmt.Sprintf("%04x", c)
	if g.chance(0.5) {
		s = strings.ToUpper(s)
	} else if g.chance(0.3) {
		// mixed case
		b := []byte(s)
		for i := range b {
			if g.chance(0.5) {
				b[i] = strings.ToUpper(string(b[i]))[0]
			}
		}
		s = string(b)
	}
	return `\u` + s
}

func fdSurrogates(c rune) (rune, rune) {
	c -= 0x10000
	return 0xD800 + (c>>10)&0x3FF, 0xDC00 + c&0x3FF
}

func (g *fdGen) mutKeyFold(m []fdMember) []fdMember {
	name := fdFields[g.intn(len(fdFields))]
	idx := fdIndexes(m, name)
	if len(idx) == 0 || g.chance(0.2) {
		return g.insert(m, fdMember{g.keyVariant(name), g.valueFor(name)})
	}
	m[idx[g.intn(len(idx))]].key = g.keyVariant(name)
	return m
}

func (g *fdGen) mutDuplicate(m []fdMember) []fdMember {
	i := g.anyIndex(m)
	if i < 0 {
		return m
	}
	x := m[i]
	if g.chance(0.6) {
		name := strings.Trim(x.key, `"`)
		x.val = g.valueFor(name)
		if g.chance(0.3) {
			x.key = g.keyVariant(name)
		}
	}
	return g.insert(m, x)
}

func (g *fdGen) mutNull(m []fdMember) []fdMember {
	name := fdFields[g.intn(len(fdFields))]
	idx := fdIndexes(m, name)
	if len(idx) > 0 && g.chance(0.5) {
		m[idx[g.intn(len(idx))]].val = "null"
		return m
	}
	return g.insert(m, fdMember{fdQuote(name), "null"})
}

func (g *fdGen) mutWrongType(m []fdMember) []fdMember {
	name := fdFields[g.intn(len(fdFields))]
	v := g.wrongType(name)
	idx := fdIndexes(m, name)
	if len(idx) > 0 && g.chance(0.7) {
		m[idx[g.intn(len(idx))]].val = v
		return m
	}
	return g.insert(m, fdMember{fdQuote(name), v})
}

func (g *fdGen) wrongType(name string) string {
	if name == "Version" {
		return g.pick(`"1"`, "true", "false", "[1]", "{}", `{"Version":1}`, `""`, "[]", `"\u0031"`)
	}
	return g.pick("1", "0", "-1.5e3", "true", "false", "[]", `["x"]`, "{}", `{"a":"b"}`, "[null]", "1e999", g.value(2))
}

func (g *fdGen) mutUnknown(m []fdMember) []fdMember {
	key := g.pick("CredentialScope", "x", "", "Extra", "Versions", "AccessKey", "Token", "Expires", "Expiration ",
		"AccessKeyId2", "\\u0000", "a\\\"b", "ProviderName", "session_token", "Secret", "ſ")
	if g.chance(0.3) {
		key = g.stringContent(8)
	}
	return g.insert(m, fdMember{fdQuote(key), g.value(1 + g.intn(5))})
}

func (g *fdGen) mutVersion(m []fdMember) []fdMember {
	v := g.versionValue()
	idx := fdIndexes(m, "Version")
	if len(idx) > 0 && g.chance(0.8) {
		m[idx[g.intn(len(idx))]].val = v
		return m
	}
	return g.insert(m, fdMember{fdQuote("Version"), v})
}

func (g *fdGen) versionValue() string {
	switch g.intn(4) {
	case 0:
		return strconv.FormatInt(g.r.Int63n(5)-1, 10)
	case 1:
		return g.number()
	default:
		return g.pick("1", "-0", "0", "2", "01", "1.0", "1.", "1e0", "1E0", "1e+0", "10e-1", "0.1e1", "-1",
			"1.5", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
			"-9223372036854775809", "18446744073709551617", "100000000000000000000000000000001",
			"1"+strings.Repeat("0", 400), `"1"`, `" 1"`, "true", "false", "null", "[1]", "{}", "+1", ".1",
			"0x1", "1_0", "-", "--1", "1e", "1e+", "Infinity", "NaN", "-1e0", "0e0", "1 1", "1,", "1\n",
			"-01", "00", "0.0", "-0.0", "1e-0", "1E00")
	}
}

func (g *fdGen) mutStringEscapes(m []fdMember) []fdMember {
	name := g.pick("AccessKeyId", "SecretAccessKey", "SessionToken", "AccountId")
	prefix := ""
	if name == "SecretAccessKey" {
		prefix = "zqx"
	}
	v := fdQuote(prefix + g.stringContent(1+g.intn(24)))
	idx := fdIndexes(m, name)
	if len(idx) > 0 && g.chance(0.8) {
		m[idx[g.intn(len(idx))]].val = v
		return m
	}
	return g.insert(m, fdMember{fdQuote(name), v})
}

func (g *fdGen) mutExpiration(m []fdMember) []fdMember {
	v := g.expirationValue()
	idx := fdIndexes(m, "Expiration")
	if len(idx) > 0 && g.chance(0.8) {
		m[idx[g.intn(len(idx))]].val = v
		return m
	}
	return g.insert(m, fdMember{fdQuote("Expiration"), v})
}

func (g *fdGen) mutRemove(m []fdMember) []fdMember {
	name := g.pick("Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
	out := m[:0:0]
	for _, x := range m {
		if x.key != fdQuote(name) {
			out = append(out, x)
		}
	}
	if g.chance(0.05) {
		return nil
	}
	return out
}

func (g *fdGen) mutEmpty(m []fdMember) []fdMember {
	name := g.pick("AccessKeyId", "SecretAccessKey", "SessionToken", "AccountId")
	v := g.pick(`""`, `" "`, `"\u0020"`, `"\t"`, `"\""`, `"\/"`, `"\u00a0"`)
	idx := fdIndexes(m, name)
	if len(idx) > 0 && g.chance(0.8) {
		m[idx[g.intn(len(idx))]].val = v
		return m
	}
	return g.insert(m, fdMember{fdQuote(name), v})
}

// mutLong gives a string member a long value (up to about 40 KB).
func (g *fdGen) mutLong(m []fdMember) []fdMember {
	name := g.pick("AccessKeyId", "SecretAccessKey", "SessionToken", "x")
	prefix := ""
	if name == "SecretAccessKey" {
		prefix = "zqx"
	}
	var b strings.Builder
	for n := 100 + g.intn(10_000); n > 0; n -= 100 {
		b.WriteString(g.stringContentBad(100, 0.005))
	}
	v := fdQuote(prefix + b.String())
	idx := fdIndexes(m, name)
	if len(idx) > 0 {
		m[idx[g.intn(len(idx))]].val = v
		return m
	}
	return g.insert(m, fdMember{fdQuote(name), v})
}

// mutMany adds hundreds of members: unknown ones, or repeats of a field.
func (g *fdGen) mutMany(m []fdMember) []fdMember {
	n := 100 + g.intn(1500)
	name := fdFields[g.intn(len(fdFields))]
	for i := 0; i < n; i++ {
		if g.chance(0.5) {
			m = g.insert(m, fdMember{fdQuote("k" + strconv.Itoa(i)), g.value(1)})
		} else {
			m = g.insert(m, fdMember{g.keyVariant(name), g.valueFor(name)})
		}
	}
	return m
}

// valueFor is a plausible value for a key (a field's proper type most of the time).
func (g *fdGen) valueFor(name string) string {
	if g.chance(0.15) {
		return g.value(2)
	}
	switch name {
	case "Version":
		return g.versionValue()
	case "AccessKeyId":
		return fdQuote(g.akid())
	case "SecretAccessKey":
		return fdQuote(g.secret())
	case "SessionToken":
		return fdQuote(g.token())
	case "Expiration":
		return g.expirationValue()
	case "AccountId":
		return fdQuote(strconv.Itoa(g.intn(1000000)))
	}
	return g.value(2)
}

// value is any JSON value (sometimes a slightly malformed one), nested at most depth levels.
func (g *fdGen) value(depth int) string {
	k := g.intn(10)
	if depth <= 0 && k >= 7 {
		k = g.intn(7)
	}
	switch k {
	case 0:
		return g.pick("null", "true", "false")
	case 1, 2:
		return g.number()
	case 3, 4, 5:
		return fdQuote(g.stringContent(g.intn(12)))
	case 6:
		if g.chance(0.05) {
			return g.pick("nul", "tru", "True", "NULL", "[", "{", "]", "}", "'x'", "undefined", ",", ":")
		}
		return fdQuote(g.stringContent(1))
	case 7, 8:
		n := g.intn(4)
		var b strings.Builder
		b.WriteString("[")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(g.ws(false) + ",")
			}
			b.WriteString(g.ws(false) + g.value(depth-1))
		}
		if n > 0 && g.chance(0.03) {
			b.WriteString(",")
		}
		b.WriteString(g.ws(false) + "]")
		return b.String()
	default:
		n := g.intn(4)
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(g.ws(false) + ",")
			}
			key := fdQuote(g.stringContent(g.intn(6)))
			if g.chance(0.2) {
				key = g.keyVariant(fdFields[g.intn(len(fdFields))])
			}
			b.WriteString(g.ws(false) + key + g.ws(false) + ":" + g.ws(false) + g.value(depth-1))
		}
		if n > 0 && g.chance(0.03) {
			b.WriteString(",")
		}
		b.WriteString(g.ws(false) + "}")
		return b.String()
	}
}

// number is a JSON number, or (rarely) something that looks like one.
func (g *fdGen) number() string {
	if g.chance(0.1) {
		return g.pick("01", "-", "1.", ".5", "+1", "1e", "1e+", "0x10", "--1", "1.e3", "-.5", "Infinity", "NaN",
			"1E+-2", "00", "-00", "1.5.2", "1ee2")
	}
	var b strings.Builder
	if g.chance(0.3) {
		b.WriteString("-")
	}
	if g.chance(0.3) {
		b.WriteString("0")
	} else {
		b.WriteString(strconv.Itoa(1 + g.intn(9)))
		b.WriteString(g.randFrom("0123456789", g.intn(25)))
	}
	if g.chance(0.3) {
		b.WriteString("." + g.randFrom("0123456789", 1+g.intn(10)))
	}
	if g.chance(0.25) {
		b.WriteString(g.pick("e", "E") + g.pick("", "+", "-") + g.randFrom("0123456789", 1+g.intn(4)))
	}
	return b.String()
}

// stringContent is the raw text of a JSON string (between its quotes) of n pieces: plain text,
// escapes of every kind and raw non-ASCII, and sometimes one piece that D8 or JSON forbids.
func (g *fdGen) stringContent(n int) string { return g.stringContentBad(n, 0.12) }

// stringContentBad is stringContent with a chance pBad of one forbidden piece.
func (g *fdGen) stringContentBad(n int, pBad float64) string {
	var b strings.Builder
	bad := -1
	if g.chance(pBad) {
		bad = g.intn(n + 1)
	}
	for i := 0; i <= n; i++ {
		if i == bad {
			switch g.intn(3) {
			case 0: // D8: NUL and lone surrogates
				b.WriteString(g.pick(`\u0000`, `\ud800`, `\uDBFF`, `\udc00`, `\uDFFF`, `\udc00\ud800`, `\ud800\u0041`,
					`\ud800\ud800\udc00`, `\uD83D`, `\uDE00\uD83D\uDE00`, `\ud800\\u0041`, `\ud800"`, `\ud800\n`))
			case 1: // invalid UTF-8 (D8)
				b.WriteString(g.pick("\xff", "\x80", "\xc0\x80", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80", "\xc3", "\xf0\x9f\x98"))
			default: // not JSON
				b.WriteString(g.pick("\x01", "\x1f", "\n", "\t", "\x00", `\x41`, `\'`, `\U0041`, `\u12`, `\u12G4`, `\a`, `\0`, `\`, `\u+123`, `\u-123`))
			}
		}
		if i == n {
			break
		}
		switch k := g.intn(100); {
		case k < 45:
			b.WriteString(g.randFrom(fdAlnum+" !#$%&'()*+,-./:;<=>?@[]^_`{|}~", 1+g.intn(6)))
		case k < 62:
			b.WriteString(g.pick(`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`))
		case k < 78: // a \u escape of a BMP code point (not a surrogate, not NUL)
			var c rune
			switch g.intn(4) {
			case 0:
				c = rune(1 + g.intn(0x7f))
			case 1:
				c = rune(0x80 + g.intn(0x780))
			default:
				c = rune(0x800 + g.intn(0xD800-0x800))
				if g.chance(0.3) {
					c = rune(0xE000 + g.intn(0x2000))
				}
			}
			b.WriteString(g.hexEscape(c))
		case k < 86: // a valid surrogate pair
			b.WriteString(g.hexEscape(rune(0x10000 + g.intn(0x100000))))
		default: // raw non-ASCII
			b.WriteString(g.pick("é", "€", "😀", "\uFFFD", "\u2028", "\uFEFF", "ſ", "K", "İ", "ı", "\u00a0", "\x7f", "\U0010FFFF", "ß",
				"\u0085", "\u009f", "\uFFFE", "\uFFFF", "\U000E0001"))
		}
	}
	return b.String()
}

// ws is whitespace between tokens: JSON's own mostly, or (wild) what JSON does not allow.
func (g *fdGen) ws(wild bool) string {
	if wild && g.chance(0.15) {
		return g.pick("\f", "\u00a0", "\v", "\u2028", "\uFEFF", "\x00", "\u3000", "\x85", "\r\r\n\t ")
	}
	if g.chance(0.8) {
		return ""
	}
	return g.pick(" ", "\n", "\r\n", "\t", "  ", "\r", " \n\t\r ")
}

func (g *fdGen) serialize(m []fdMember, wild bool) []byte {
	var b strings.Builder
	b.WriteString(g.ws(wild) + "{")
	for i, x := range m {
		if i > 0 {
			b.WriteString(g.ws(wild) + ",")
		}
		b.WriteString(g.ws(wild) + x.key + g.ws(wild) + ":" + g.ws(wild) + x.val)
	}
	b.WriteString(g.ws(wild) + "}" + g.ws(wild))
	return []byte(b.String())
}

func (g *fdGen) trailing(doc []byte) []byte {
	return append(doc, g.pick(" ", "\n", "\r\n\t \n", "{}", ` {"Version":1}`, "\nnull", "x", ",", "}", "]", "\x00",
		"\f", "\u00a0", "\uFEFF", " // comment", "\n# log line\n", "0", `""`, "\n\n\n{", "\x1a", "[]")...)
}

func (g *fdGen) topLevel(doc []byte) []byte {
	s := string(doc)
	return []byte(g.pick("null", " null ", "\r\nnull\n", "[]", "["+s+"]", `"`+s+`"`, "1", "-0", "true", "false",
		"", " ", "\n", "\uFEFF"+s, "\uFEFF", `"x"`, "{}", "{ }", "nul", "[", s+s, "1 "+s, "\"\\u0000\"", "'"+s+"'",
		"{"+s+"}", `{"a":`+s+`}`))
}

// deep nests an unknown value (or the whole document) around Go's maximum depth of 10,000.
func (g *fdGen) deep(doc []byte) []byte {
	levels := 9_995 + g.intn(10)
	open, close := "[", "]"
	if g.chance(0.3) {
		open, close = `{"a":`, "}"
	}
	inner := strings.Repeat(open, levels) + g.pick("1", "", "null", `"x"`) + strings.Repeat(close, levels)
	switch g.intn(3) {
	case 0:
		return []byte(inner)
	case 1:
		return []byte(`{"x":` + inner + `,"Version":1,"AccessKeyId":"AK","SecretAccessKey":"zqxS"}`)
	default:
		s := string(doc)
		if i := strings.IndexByte(s, '{'); i >= 0 {
			return []byte(s[:i+1] + `"Deep":` + inner + "," + s[i+1:])
		}
		return []byte(inner)
	}
}

func (g *fdGen) byteEdits(doc []byte) []byte {
	interesting := []byte("\"\\{}[],: \n0e-+.u\x00\x7f\x80\xc2\xff\xedTZt")
	n := 1 + g.intn(4)
	for j := 0; j < n; j++ {
		at := g.intn(len(doc) + 1)
		switch g.intn(6) {
		case 0: // insert
			c := interesting[g.intn(len(interesting))]
			doc = append(doc[:at:at], append([]byte{c}, doc[at:]...)...)
		case 1: // delete a run
			if at < len(doc) {
				end := at + 1 + g.intn(3)
				if end > len(doc) {
					end = len(doc)
				}
				doc = append(doc[:at:at], doc[end:]...)
			}
		case 2: // replace
			if at < len(doc) {
				doc = append([]byte(nil), doc...)
				doc[at] = interesting[g.intn(len(interesting))]
			}
		case 3: // flip a bit
			if at < len(doc) {
				doc = append([]byte(nil), doc...)
				doc[at] ^= 1 << g.intn(8)
			}
		case 4: // duplicate a run
			if at < len(doc) {
				end := at + 1 + g.intn(8)
				if end > len(doc) {
					end = len(doc)
				}
				run := append([]byte(nil), doc[at:end]...)
				doc = append(doc[:end:end], append(run, doc[end:]...)...)
			}
		default: // swap two bytes
			if at < len(doc) {
				k := g.intn(len(doc))
				doc = append([]byte(nil), doc...)
				doc[at], doc[k] = doc[k], doc[at]
			}
		}
	}
	return doc
}

// ---- Expiration ----

func fdDaysIn(month, year int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// validTime is an RFC 3339 time Go accepts, in one of its forms.
func (g *fdGen) validTime() string {
	year := 1970 + g.intn(131)
	switch g.intn(10) {
	case 0:
		year = g.intn(10000)
	case 1:
		year = time.Now().Year() + g.intn(3) - 1
	}
	month := 1 + g.intn(12)
	day := 1 + g.intn(fdDaysIn(month, year))
	if g.chance(0.05) && fdDaysIn(2, year) == 29 {
		month, day = 2, 29
	}
	s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, g.intn(24), g.intn(60), g.intn(60))
	if g.chance(0.3) {
		s += g.pick(".", ".", ",") + g.randFrom("0123456789", 1+g.intn(12))
	}
	switch g.intn(4) {
	case 0, 1:
		s += "Z"
	case 2:
		s += fmt.Sprintf("%s%02d:%02d", g.pick("+", "-"), g.intn(24), g.intn(60))
	default:
		s += fmt.Sprintf("%s%02d:%02d", g.pick("+", "-"), g.intn(25), g.intn(61))
	}
	return s
}

// expirationValue is the Expiration value: a valid time, a near-valid one, or another type.
func (g *fdGen) expirationValue() string {
	switch g.intn(20) {
	case 0:
		return g.pick("null", `""`, "0", "1700000000", "true", "[]", "{}", `["2030-01-01T00:00:00Z"]`, `" "`)
	case 1, 2, 3, 4:
		return fdQuote(g.validTime())
	case 5:
		return fdQuote(g.pick(
			"2000-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2004-02-29T12:00:00Z",
			"2001-02-29T00:00:00Z", "2000-02-30T00:00:00Z", "2024-04-31T00:00:00Z", "2024-06-30T00:00:00Z",
			"0000-01-01T00:00:00Z", "0000-01-01T00:00:00+24:60", "9999-12-31T23:59:59.999999999Z",
			"9999-12-31T23:59:59-24:60", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00.0001Z",
			"0000-12-31T23:59:59.9999Z", "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00.0005Z",
			"2030-01-01T24:00:00Z", "2030-01-01T23:59:60Z", "2030-01-01T1:00:00Z", "2030-01-01T01:0:00Z",
			"2030-01-01T01:00:0Z", "2030-1-01T01:00:00Z", "2030-01-1T01:00:00Z", "2030-01-01T001:00:00Z",
			"2030-01-01T00:00:00.Z", "2030-01-01T00:00:00,5Z", "2030-01-01T00:00:00.5,5Z",
			"2030-01-01T00:00:00Z00:00", "2030-01-01T00:00:00+00:00Z", "2030-01-01T00:00:00-00:00",
			"2030-01-01T00:00:00+24:00", "2030-01-01T00:00:00+25:00", "2030-01-01T00:00:00+00:60",
			"2030-01-01T00:00:00+00:61", "2030-01-01T00:00:00+99:99", "20300-01-01T00:00:00Z",
			"+2030-01-01T00:00:00Z", "-2030-01-01T00:00:00Z", "2030-01-01T00:00:00.123456789123Z",
			"2030-01-01T00:00:00.1234567895Z", "2030-01-01T9:05:07+05:30", "2030-12-31T23:59:59.9999999999-00:01",
			"2030-01-01T00:00:00\\u005a", "\\u0032030-01-01T00:00:00Z", "2030-01-01T00:00:00\\/", "2030\\/01-01T00:00:00Z",
			"2030-01-01T00:00:00.\\u0031Z", "2030-01-01T00:00:00Z\\n", "2030-01-01T00:00:00Z\\u0000"))
	}
	// A near-valid variant of a valid time.
	s := g.validTime()
	b := []byte(s)
	tIdx := strings.IndexByte(s, 'T')
	switch g.intn(26) {
	case 0: // T
		b[tIdx] = g.pick(" ", "t", "x", "_", "Z")[0]
	case 1: // zone letter
		if s[len(s)-1] == 'Z' {
			b[len(b)-1] = 'z'
		} else {
			return fdQuote(s[:len(s)-6] + g.pick("z", "UTC", "GMT", "+0100", "+01", "+1:00", "+01:0", "+01:000", "", " Z", "ZZ", "+01:00:00", "-0000"))
		}
	case 2: // a separator
		seps := []int{4, 7, tIdx + 3, tIdx + 6}
		i := seps[g.intn(len(seps))]
		if i < len(b) {
			b[i] = g.pick("/", ".", ":", "-", " ", "_")[0]
		}
	case 3: // drop a digit
		i := g.intn(len(b))
		if b[i] >= '0' && b[i] <= '9' {
			b = append(b[:i:i], b[i+1:]...)
		}
	case 4: // add a digit
		i := g.intn(len(b) + 1)
		b = append(b[:i:i], append([]byte{"0123456789"[g.intn(10)]}, b[i:]...)...)
	case 5: // out of range month
		copy(b[5:7], g.pick("00", "13", "19", "99"))
	case 6: // out of range day
		copy(b[8:10], g.pick("00", "32", "31", "30", "29", "99"))
	case 7: // out of range hour
		copy(b[tIdx+1:tIdx+3], g.pick("24", "25", "99", "23", "00"))
	case 8:
		copy(b[tIdx+4:tIdx+6], g.pick("60", "61", "99", "59"))
	case 9:
		copy(b[tIdx+7:tIdx+9], g.pick("60", "61", "99", "59"))
	case 10: // one-digit hour (Go accepts it)
		if b[tIdx+1] == '0' || g.chance(0.3) {
			b = append(b[:tIdx+1:tIdx+1], b[tIdx+2:]...)
		}
	case 11: // fraction forms
		rest := s[tIdx+9:]
		zone := rest
		if i := strings.IndexAny(rest, "Z+-"); i >= 0 {
			zone = rest[i:]
		}
		digits := g.intn(14)
		if g.chance(0.1) {
			digits = 100 + g.intn(1000)
		}
		return fdQuote(s[:tIdx+9] + g.pick(".", ",", "..", ".,", ",.", "", ". ", ".e", ".-1", ".1.2") + g.randFrom("0123456789", digits) + zone)
	case 12: // trailing and leading text
		return fdQuote(g.pick(" ", "\\t", "\\n", "x", "", "\u00a0") + s + g.pick(" ", "\\n", "x", "Z", "0", ".0", "", "\\u0000"))
	case 13: // an escape inside
		i := g.intn(len(s))
		esc := g.hexEscape(rune(s[i]))
		if s[i] == '/' || g.chance(0.1) {
			esc = `\/`
		}
		return fdQuote(s[:i] + esc + s[i+1:])
	case 14: // lowercase everything
		return fdQuote(strings.ToLower(s))
	case 15: // date or time only
		return fdQuote(g.pick(s[:tIdx], s[tIdx+1:], s[:tIdx+1], s[:len(s)-1]))
	case 16: // non-ASCII digits or letters
		i := g.intn(len(s))
		return fdQuote(s[:i] + g.pick("٣", "３", "Ｔ", "ｚ", "\u200b", "é") + s[i+1:])
	case 17: // zone out of range
		return fdQuote(s[:tIdx+9] + fmt.Sprintf("%s%02d:%02d", g.pick("+", "-", "±", " "), 20+g.intn(10), 55+g.intn(10)))
	case 18: // a leap day, in any year
		y := g.intn(10000)
		return fdQuote(fmt.Sprintf("%04d-02-29%s", y, s[tIdx:]))
	case 19: // last day of a month, and one past it
		y, mo := g.intn(10000), 1+g.intn(12)
		d := fdDaysIn(mo, y) + g.intn(2)
		return fdQuote(fmt.Sprintf("%04d-%02d-%02d%s", y, mo, d, s[tIdx:]))
	case 20: // a control character or quote inside (invalid JSON)
		i := g.intn(len(s))
		return fdQuote(s[:i] + g.pick("\t", "\n", "\x00", `"`, `\`) + s[i:])
	case 21, 22, 23: // random edits over the alphabet of RFC 3339
		const alphabet = "0123456789-:T.,Z+"
		for n := 1 + g.intn(3); n > 0; n-- {
			i := g.intn(len(b) + 1)
			c := alphabet[g.intn(len(alphabet))]
			switch g.intn(3) {
			case 0:
				b = append(b[:i:i], append([]byte{c}, b[i:]...)...)
			case 1:
				if i < len(b) {
					b = append(b[:i:i], b[i+1:]...)
				}
			default:
				if i < len(b) {
					b[i] = c
				}
			}
		}
	default:
		return fdQuote(s)
	}
	return fdQuote(string(b))
}
