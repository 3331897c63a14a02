//go:build !windows

package processcreds_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/processcreds/processcreds/bindings/go"
	"github.com/processcreds/processcreds/bindings/go/awsv2"
	"github.com/processcreds/processcreds/bindings/go/internal/capi"
)

// The secrets the observed helper prints and is given as an argument: no record may hold them.
const (
	obsSecret = "pcOBSgoSecretQ8w7E6r5T4y3U2i1O0pAzSx"
	obsToken  = "pcOBSgoTokenZ1x2C3v4B5n6M7k8J9hG0fDs"
)

type record struct {
	level slog.Level
	msg   string
	keys  []string
	attrs map[string]string
}

// capture is a slog.Handler keeping every record, enabled from a level that may change.
type capture struct {
	mu    sync.Mutex
	level slog.LevelVar
	recs  []record
}

func newCapture(level slog.Level) *capture {
	c := &capture{}
	c.level.Set(level)
	return c
}

func (c *capture) Enabled(_ context.Context, l slog.Level) bool { return l >= c.level.Level() }
func (c *capture) WithAttrs([]slog.Attr) slog.Handler           { return c }
func (c *capture) WithGroup(string) slog.Handler                { return c }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	rec := record{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.keys = append(rec.keys, a.Key)
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	c.mu.Lock()
	c.recs = append(c.recs, rec)
	c.mu.Unlock()
	return nil
}

func (c *capture) all() []record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]record(nil), c.recs...)
}

func (c *capture) names() []string {
	var out []string
	for _, r := range c.all() {
		out = append(out, r.msg)
	}
	return out
}

func (c *capture) clear() {
	c.mu.Lock()
	c.recs = nil
	c.mu.Unlock()
}

func (c *capture) first(t testing.TB, name string) record {
	t.Helper()
	for _, r := range c.all() {
		if r.msg == name {
			return r
		}
	}
	t.Fatalf("no %s in %v", name, c.names())
	return record{}
}

func (c *capture) has(name string) bool {
	for _, r := range c.all() {
		if r.msg == name {
			return true
		}
	}
	return false
}

// check: every record names its event, starts with the program, and holds no part of a secret.
func (c *capture) check(t testing.TB) {
	t.Helper()
	for _, r := range c.all() {
		if r.attrs["event"] != r.msg || len(r.keys) < 2 || r.keys[1] != "program" ||
			r.attrs["program"] != "obs-helper" {
			t.Fatalf("%s: attributes %v", r.msg, r.keys)
		}
		text := fmt.Sprint(r.msg, r.attrs)
		for _, s := range []string{obsSecret, obsToken} {
			for i := 0; i+8 <= len(s); i++ {
				if strings.Contains(text, s[i:i+8]) {
					t.Fatalf("%s: a record shows part of a secret", r.msg)
				}
			}
		}
	}
}

// obsHelper: counts its runs, sleeps `sleep` seconds when that file exists, exits 3 (saying the
// secret on stderr) when `fail` exists, else prints `out`.
type obsHelper struct {
	t   testing.TB
	dir string
	cmd string
}

func newObsHelper(t testing.TB, lifetime time.Duration) *obsHelper {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "obs-helper")
	body := fmt.Sprintf(`#!/bin/sh
d='%s'
echo run >> "$d/runs"
[ -f "$d/sleep" ] && sleep "$(cat "$d/sleep")"
[ -f "$d/fail" ] && { echo "no: %s" >&2; exit 3; }
cat "$d/out"
`, dir, obsSecret)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	h := &obsHelper{t, dir, fmt.Sprintf("'%s' --token %s", script, obsSecret)}
	h.expiring(lifetime)
	return h
}

func (h *obsHelper) expiring(lifetime time.Duration) {
	h.write("out", fmt.Sprintf(`{"Version":1,"AccessKeyId":"AKOBS","SecretAccessKey":%q,"SessionToken":%q,"Expiration":%q}`,
		obsSecret, obsToken, time.Now().Add(lifetime).UTC().Format(time.RFC3339)))
}

func (h *obsHelper) write(name, text string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

func (h *obsHelper) remove(name string) { _ = os.Remove(filepath.Join(h.dir, name)) }

func (h *obsHelper) runs() int {
	b, _ := os.ReadFile(filepath.Join(h.dir, "runs"))
	return strings.Count(string(b), "run")
}

func (h *obsHelper) provider(c *capture, opts ...func(*processcreds.ProcessProvider)) *processcreds.ProcessProvider {
	p := processcreds.NewProvider(h.cmd, func(p *processcreds.ProcessProvider) {
		p.Stderr = processcreds.StderrCapture
		p.Stdin = processcreds.StdinNull
		if c != nil {
			p.Logger = slog.New(c)
		}
	})
	for _, o := range opts {
		o(p)
	}
	h.t.Cleanup(p.Close)
	return p
}

func TestLoggerEventsAndLevels(t *testing.T) {
	h := newObsHelper(t, time.Hour)
	c := newCapture(slog.LevelDebug)
	p := h.provider(c)
	if _, err := p.Retrieve(); err != nil {
		t.Fatal(err)
	}
	// Retrieve of the drop-in runs the helper (aws-sdk-go v1's caches above it).
	if got := strings.Join(c.names(), " "); got != "cache.miss helper.start helper.exit" {
		t.Fatalf("events: %s", got)
	}
	start := c.first(t, "helper.start")
	if start.level != slog.LevelInfo || strings.Join(start.keys, " ") != "event program" {
		t.Fatalf("helper.start: %v %v", start.level, start.keys)
	}
	exit := c.first(t, "helper.exit")
	if exit.level != slog.LevelInfo || exit.attrs["status"] != "ok" ||
		strings.Join(exit.keys, " ") != "event program status duration_ms bytes" {
		t.Fatalf("helper.exit: %v %v", exit.level, exit.attrs)
	}
	if n, _ := strconv.Atoi(exit.attrs["bytes"]); n < 100 {
		t.Fatalf("bytes = %s", exit.attrs["bytes"])
	}
	if c.first(t, "cache.miss").level != slog.LevelDebug {
		t.Fatal("cache.miss is not at debug")
	}

	// The handler's level is read at every Retrieve: at warn, a success says nothing...
	c.clear()
	c.level.Set(slog.LevelWarn)
	if _, err := p.Retrieve(); err != nil {
		t.Fatal(err)
	}
	if len(c.all()) != 0 {
		t.Fatalf("at warn: %v", c.names())
	}
	// ...and a failure is helper.exit at warn, without the helper's stderr.
	h.write("fail", "")
	if _, err := p.Retrieve(); err == nil {
		t.Fatal("no error")
	}
	r := c.first(t, "helper.exit")
	if r.level != slog.LevelWarn || r.attrs["status"] != "execution" || r.attrs["exit"] != "3" {
		t.Fatalf("failed helper.exit: %v %v", r.level, r.attrs)
	}
	h.remove("fail")
	// A timeout: helper.timeout.
	h.write("sleep", "5")
	p.Timeout = 300 * time.Millisecond
	if _, err := p.Retrieve(); err == nil {
		t.Fatal("no timeout")
	}
	to := c.first(t, "helper.timeout")
	if to.level != slog.LevelWarn || to.attrs["timeout_ms"] != "300" {
		t.Fatalf("helper.timeout: %v %v", to.level, to.attrs)
	}
	if last := c.all()[len(c.all())-1]; last.msg != "helper.exit" || last.attrs["status"] != "timeout" {
		t.Fatalf("after helper.timeout: %v %v", last.msg, last.attrs)
	}
	c.check(t)
	s := p.Stats()
	if s.HelperRuns != 4 || s.HelperFailures != 2 || s.HelperTimeouts != 1 || s.CacheMisses != 4 ||
		s.LastRunDuration < 300*time.Millisecond {
		t.Fatalf("stats: %+v", s)
	}
	// No Logger: nothing; the counters go on.
	h.remove("sleep")
	c.clear()
	c.level.Set(slog.LevelDebug)
	p.Logger = nil
	if _, err := p.Retrieve(); err != nil {
		t.Fatal(err)
	}
	if len(c.all()) != 0 || p.Stats().HelperRuns != 5 {
		t.Fatalf("with no logger: %v %+v", c.names(), p.Stats())
	}
	p.Close()
	if p.Stats() != (processcreds.Stats{}) {
		t.Fatal("stats after Close")
	}
}

func TestLoggerSharedCache(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache")
	t.Setenv("PROCESSCREDS_CACHE_DIR", cache)
	h := newObsHelper(t, time.Hour)
	c := newCapture(slog.LevelDebug)
	shared := func(p *processcreds.ProcessProvider) { p.SharedCache = true }
	a, b := h.provider(c, shared), h.provider(c, shared)
	if _, err := a.Retrieve(); err != nil {
		t.Fatal(err)
	}
	w := c.first(t, "shared_cache.write")
	if w.level != slog.LevelInfo || filepath.Dir(w.attrs["path"]) != cache ||
		!strings.HasSuffix(w.attrs["path"], ".entry") {
		t.Fatalf("shared_cache.write: %v %v", w.level, w.attrs)
	}
	if _, err := b.Retrieve(); err != nil {
		t.Fatal(err)
	}
	hit := c.first(t, "shared_cache.hit")
	if hit.level != slog.LevelDebug || hit.attrs["path"] != w.attrs["path"] || h.runs() != 1 {
		t.Fatalf("shared_cache.hit: %v %v, runs %d", hit.level, hit.attrs, h.runs())
	}
	if a.Stats().SharedCacheWrites != 1 || b.Stats().SharedCacheHits != 1 || b.Stats().HelperRuns != 0 {
		t.Fatalf("stats: %+v %+v", a.Stats(), b.Stats())
	}

	// Two providers at once, the helper slow: one waits for the other's lock.
	if err := os.RemoveAll(cache); err != nil {
		t.Fatal(err)
	}
	h.expiring(2 * time.Hour)
	h.write("sleep", "0.5")
	x, y := h.provider(c, shared), h.provider(c, shared)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := x.Retrieve(); err != nil {
			t.Error(err)
		}
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := y.Retrieve(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	lw := c.first(t, "shared_cache.lock_wait")
	if lw.level != slog.LevelDebug || !strings.HasSuffix(lw.attrs["path"], ".lock") ||
		(lw.attrs["outcome"] != "locked" && lw.attrs["outcome"] != "entry") {
		t.Fatalf("shared_cache.lock_wait: %v %v", lw.level, lw.attrs)
	}
	h.remove("sleep")

	// A directory others may write: bypassed, with the reason and the path.
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PROCESSCREDS_CACHE_DIR", open)
	c.clear()
	d := h.provider(c, shared)
	if _, err := d.Retrieve(); err != nil {
		t.Fatal(err)
	}
	by := c.first(t, "shared_cache.bypass")
	if by.level != slog.LevelWarn || by.attrs["reason"] != "directory_untrusted" ||
		by.attrs["path"] != open || !strings.Contains(by.attrs["detail"], "mode 0777") {
		t.Fatalf("shared_cache.bypass: %v %v", by.level, by.attrs)
	}
	if d.Stats().SharedCacheBypasses != 1 {
		t.Fatalf("stats: %+v", d.Stats())
	}
	c.check(t)
}

// Refresh ahead through awsv2 (cached retrieves inside the window): cache.hit, refresh.start,
// refresh.fail with the back-off, then refresh.ok.
func TestLoggerRefreshAhead(t *testing.T) {
	h := newObsHelper(t, time.Minute)
	c := newCapture(slog.LevelDebug)
	p := awsv2.NewProvider(h.cmd, func(o *awsv2.Options) {
		o.Logger = slog.New(c)
		o.RefreshWindow = 100 * time.Second
		o.Stderr = awsv2.StderrCapture
	})
	t.Cleanup(p.Close)
	ctx := context.Background()
	if _, err := p.Retrieve(ctx); err != nil {
		t.Fatal(err)
	}
	h.write("fail", "")
	if _, err := p.Retrieve(ctx); err != nil { // inside the window: cached, starts the refresh
		t.Fatal(err)
	}
	hit := c.first(t, "cache.hit")
	if hit.level != slog.LevelDebug || hit.attrs["ahead"] != "true" {
		t.Fatalf("cache.hit: %v %v", hit.level, hit.attrs)
	}
	waitFor(t, "refresh.fail", func() bool { return c.has("refresh.fail") })
	st := c.first(t, "refresh.start")
	if st.level != slog.LevelInfo {
		t.Fatalf("refresh.start: %v", st.level)
	}
	f := c.first(t, "refresh.fail")
	backoff, _ := strconv.Atoi(f.attrs["backoff_ms"])
	if f.level != slog.LevelWarn || f.attrs["status"] != "execution" || f.attrs["failures"] != "1" ||
		backoff <= 500 || backoff > 1000 {
		t.Fatalf("refresh.fail: %v %v", f.level, f.attrs)
	}
	s := p.Stats()
	if s.RefreshesStarted != 1 || s.RefreshesFailed != 1 || s.CacheHits < 1 {
		t.Fatalf("stats: %+v", s)
	}
	h.remove("fail")
	waitFor(t, "refresh.ok", func() bool {
		if _, err := p.Retrieve(ctx); err != nil {
			t.Error(err)
		}
		time.Sleep(20 * time.Millisecond)
		return c.has("refresh.ok")
	})
	if c.first(t, "refresh.ok").level != slog.LevelInfo || p.Stats().RefreshesSucceeded != 1 {
		t.Fatalf("refresh.ok: %+v", p.Stats())
	}
	c.check(t)
}

// A handler may read Stats (the library holds none of its locks while it runs).
type statsReader struct {
	capture
	p    *processcreds.ProcessProvider
	runs []uint64
}

func (s *statsReader) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "helper.exit" {
		s.runs = append(s.runs, s.p.Stats().HelperRuns)
	}
	return nil
}

func TestLoggerHandlerReadsStats(t *testing.T) {
	h := newObsHelper(t, time.Hour)
	sr := &statsReader{}
	sr.level.Set(slog.LevelInfo)
	p := h.provider(nil)
	sr.p = p
	p.Logger = slog.New(sr)
	for i := 0; i < 2; i++ {
		if _, err := p.Retrieve(); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(sr.runs) != "[1 2]" {
		t.Fatalf("runs seen from the handler: %v", sr.runs)
	}
}

func TestFieldsParse(t *testing.T) {
	got := capi.Fields(`program=a status=ok path="/x y/\"q\"" d="\x01"`)
	want := [][2]string{{"program", "a"}, {"status", "ok"}, {"path", `/x y/"q"`}, {"d", "\x01"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%q", got)
	}
}

// RetrieveWithContext is observed as Retrieve; a context ended while the helper runs is
// request.cancel (debug), and the run, killed as no caller waits any more, ends with helper.exit
// status=canceled at info, not counted as a failure.
func TestLoggerContextCancel(t *testing.T) {
	h := newObsHelper(t, time.Hour)
	c := newCapture(slog.LevelDebug)
	p := h.provider(c)
	if _, err := p.RetrieveWithContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.names(), " "); got != "cache.miss helper.start helper.exit" {
		t.Fatalf("events: %s", got)
	}
	c.clear()
	h.write("sleep", "30")
	defer h.remove("sleep")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for h.runs() < 2 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	if _, err := p.RetrieveWithContext(ctx); err == nil {
		t.Fatal("no error")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !c.has("helper.exit") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := strings.Join(c.names(), " "); got != "cache.miss helper.start request.cancel helper.exit" {
		t.Fatalf("events: %s", got)
	}
	if r := c.first(t, "request.cancel"); r.level != slog.LevelDebug {
		t.Fatalf("request.cancel: %v", r.level)
	}
	exit := c.first(t, "helper.exit")
	if exit.level != slog.LevelInfo || exit.attrs["status"] != "canceled" {
		t.Fatalf("helper.exit: %v %v", exit.level, exit.attrs)
	}
	c.check(t)
	if s := p.Stats(); s.HelperRuns != 2 || s.HelperFailures != 0 || s.CacheMisses != 2 {
		t.Fatalf("stats: %+v", s)
	}
}
