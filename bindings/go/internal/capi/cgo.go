// Package capi wraps the C ABI of libprocesscreds (include/processcreds.h) in Go handles.
//
// This file holds the cgo directives of the module but for the default link flags. By default
// the package links the static library built by `make lib` in the repository
// (target/release/libprocesscreds.a) with the system libraries it needs; for Windows (MinGW-w64
// gcc as the cgo compiler) the one `make windows` puts in dist/x86_64-pc-windows-gnu/lib/. Those
// flags, per system, are in static_libs.go, generated from what rustc names
// (tools/go-static-libs). Built with the tag `processcreds_system`, the package takes the
// compiler and linker flags of an installed copy from pkg-config (`processcreds.pc`) instead.
//
// Rules kept by every function here: each C call is followed by runtime.KeepAlive of the Go
// handle that owns the pointer it used; strings from C are copied into Go memory before the C
// object that owns them is freed; C never keeps a Go pointer (strings passed in are copied by
// the library, out-parameters are written before the call returns).
package capi

/*
#cgo !processcreds_system CFLAGS: -I${SRCDIR}/../../../../include
#cgo processcreds_system pkg-config: processcreds

#include <stdlib.h>
#include <processcreds.h>
*/
import "C"

import (
	"context"
	"log/slog"
	"math"
	"runtime"
	"runtime/cgo"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Status is a PC_STATUS_* value of the C ABI.
type Status uint32

// The statuses of the C ABI; the numbers never change.
const (
	StatusOK              Status = C.PC_STATUS_OK
	StatusInvalidArgument Status = C.PC_STATUS_INVALID_ARGUMENT
	StatusExecution       Status = C.PC_STATUS_EXECUTION
	StatusTimeout         Status = C.PC_STATUS_TIMEOUT
	StatusParse           Status = C.PC_STATUS_PARSE
	StatusVersion         Status = C.PC_STATUS_VERSION
	StatusRequired        Status = C.PC_STATUS_REQUIRED
	StatusConfig          Status = C.PC_STATUS_CONFIG
	StatusInternal        Status = C.PC_STATUS_INTERNAL
)

// String gives the C name of the status, e.g. "PC_STATUS_TIMEOUT".
func (s Status) String() string {
	return C.GoString(C.pc_status_name(C.uint32_t(s)))
}

// Stderr and stdin modes of the C ABI.
const (
	StderrInherit uint32 = C.PC_STDERR_INHERIT
	StderrCapture uint32 = C.PC_STDERR_CAPTURE
	StderrDiscard uint32 = C.PC_STDERR_DISCARD
	StdinInherit  uint32 = C.PC_STDIN_INHERIT
	StdinNull     uint32 = C.PC_STDIN_NULL
)

// Shared-config states of pc_provider_from_profile.
const (
	SharedConfigEnv     uint32 = C.PC_SHARED_CONFIG_ENV
	SharedConfigDisable uint32 = C.PC_SHARED_CONFIG_DISABLE
	SharedConfigEnable  uint32 = C.PC_SHARED_CONFIG_ENABLE
)

// Version is the C library's version.
func Version() string {
	return C.GoString(C.pc_version())
}

// Options are the settings applied to a provider before a run. Durations are rounded up to
// whole milliseconds (a positive value never becomes 0); negative durations count as 0, except
// a negative Timeout when NoTimeout is set.
type Options struct {
	Timeout      time.Duration
	NoTimeout    bool // no limit (aws-sdk-go-v2's negative Timeout)
	MaxBufSize   int
	ExpiryWindow time.Duration
	Duration     time.Duration
	Stderr       uint32
	Stdin        uint32
	SharedCache  bool // PC_SHARED_CACHE_USER when true
	// SharedCacheKey: pc_set_shared_cache_key ("" is none: NULL).
	SharedCacheKey string
	// SharedCacheEnv: pc_set_shared_cache_env.
	SharedCacheEnv []string
	// RefreshWindow: refresh ahead (pc_set_refresh_window); 0 is off.
	RefreshWindow time.Duration
	// Logger: the library's events (pc_set_logger), at the levels it is enabled for when
	// applied; nil is none.
	Logger *slog.Logger
}

// The library's defaults (PC_DEFAULT_TIMEOUT_MS, PC_DEFAULT_BUF_SIZE): aws-sdk-go v1's
// DefaultTimeout and DefaultBufSize.
const (
	DefaultTimeout = time.Duration(C.PC_DEFAULT_TIMEOUT_MS) * time.Millisecond
	DefaultBufSize = int(C.PC_DEFAULT_BUF_SIZE)
)

// DefaultOptions are the library's defaults.
func DefaultOptions() Options {
	return Options{Timeout: DefaultTimeout, MaxBufSize: DefaultBufSize}
}

func millisCeil(d time.Duration) C.uint64_t {
	if d <= 0 {
		return 0
	}
	return C.uint64_t((d + time.Millisecond - 1) / time.Millisecond)
}

// Provider owns a pc_provider. It is safe for concurrent use; Close waits for the calls in
// progress. A finalizer frees the C provider when the handle is no longer reachable.
type Provider struct {
	mu   sync.RWMutex // read-held by every C call, write-held by Close
	_ptr *C.pc_provider

	// err, when set, is returned by every Retrieve instead of running anything: the program
	// could not be handed to the C library (see newUnrepresentable).
	err func(Options) error

	optMu   sync.Mutex
	applied Options

	lastMu     sync.Mutex
	lastExpiry time.Time // ExpiresAt right after the last successful retrieve; zero: never

	// The logger the C provider calls (under optMu): its handle, and the PC_LOG_* level set.
	logger    *slog.Logger
	logLevel  uint32
	logHandle cgo.Handle
}

// liveProviders counts the C providers made and not yet freed (tests check the finalizers).
var liveProviders atomic.Int64

// LiveProviders is the number of C providers made by this package and not yet freed.
func LiveProviders() int64 {
	return liveProviders.Load()
}

func newProvider(p *C.pc_provider) *Provider {
	h := &Provider{_ptr: p, applied: DefaultOptions()}
	liveProviders.Add(1)
	runtime.SetFinalizer(h, (*Provider).Close)
	return h
}

// ptr gives the C pointer; the caller holds h.mu for reading. Nil after Close.
func (h *Provider) ptr() *C.pc_provider {
	return h._ptr
}

// Close frees the C provider. Idempotent; credentials already returned stay valid.
func (h *Provider) Close() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h._ptr == nil {
		return
	}
	runtime.SetFinalizer(h, nil)
	C.pc_free(h._ptr) // returns once the logger is no longer called
	h._ptr = nil
	liveProviders.Add(-1)
	if h.logHandle != 0 {
		h.logHandle.Delete()
		h.logHandle = 0
	}
}

func closedError() error {
	return newError(StatusInvalidArgument, "InvalidParameter", "InvalidParameter: provider is closed")
}

// hasNUL reports whether a Go string cannot be passed as a C string.
func hasNUL(s string) bool {
	return strings.IndexByte(s, 0) >= 0
}

// NewCommand makes a provider that runs `sh -c command` (`cmd.exe /d /s /c "command"` on
// Windows).
func NewCommand(command string) *Provider {
	if hasNUL(command) {
		return newUnrepresentable(append(append([]string{}, shell...), command), command)
	}
	cs := C.CString(command)
	defer C.free(unsafe.Pointer(cs))
	var out *C.pc_provider
	st := Status(C.pc_provider_new(cs, &out))
	if st != StatusOK {
		return newFailed(st, "command")
	}
	return newProvider(out)
}

// NewArgv makes a provider that runs argv[0] with argv[1:], with no shell. An empty argv is an
// empty command (the error every retrieve returns).
func NewArgv(argv []string) *Provider {
	if len(argv) == 0 {
		return NewCommand("")
	}
	for _, a := range argv {
		if hasNUL(a) {
			return newUnrepresentable(argv, argv[0])
		}
	}
	// The array of C strings lives in C memory: C never sees a Go pointer.
	n := len(argv)
	arr := unsafe.Slice((**C.char)(C.malloc(C.size_t(n)*C.size_t(unsafe.Sizeof((*C.char)(nil))))), n)
	for i, a := range argv {
		arr[i] = C.CString(a)
	}
	defer func() {
		for _, p := range arr {
			C.free(unsafe.Pointer(p))
		}
		C.free(unsafe.Pointer(&arr[0]))
	}()
	var out *C.pc_provider
	st := Status(C.pc_provider_new_argv(&arr[0], C.size_t(n), &out))
	if st != StatusOK {
		return newFailed(st, "argv")
	}
	return newProvider(out)
}

// NewProfile makes a provider for a shared-config profile ("" means AWS_PROFILE, then
// AWS_DEFAULT_PROFILE when shared config is on, then "default").
func NewProfile(profile string, sharedConfig uint32) (*Provider, error) {
	var cs *C.char
	if profile != "" {
		if hasNUL(profile) {
			return nil, newError(StatusInvalidArgument, "InvalidParameter",
				"InvalidParameter: profile name contains a NUL byte")
		}
		cs = C.CString(profile)
		defer C.free(unsafe.Pointer(cs))
	}
	var out *C.pc_provider
	var cerr *C.pc_error
	st := Status(C.pc_provider_from_profile(cs, C.uint32_t(sharedConfig), &out, &cerr))
	if st != StatusOK {
		return nil, takeError(st, cerr)
	}
	return newProvider(out), nil
}

// newFailed is a provider whose construction was refused by the C library (only possible for
// a string that is not UTF-8): every retrieve returns that refusal.
func newFailed(st Status, what string) *Provider {
	e := newError(st, "InvalidParameter", "InvalidParameter: "+what+" is not valid UTF-8")
	return &Provider{err: func(Options) error { return e }, applied: DefaultOptions()}
}

// newUnrepresentable is a provider for a program with a NUL byte in an argument, which a C
// string cannot carry. It fails as the library (and Go's os/exec) would: the empty-command and
// zero-timeout checks first, then the lookup of the program, then EINVAL at fork/exec.
func newUnrepresentable(argv []string, first string) *Provider {
	name := argv[0]
	return &Provider{applied: DefaultOptions(), err: func(o Options) error {
		if strings.TrimSpace(first) == "" {
			return newError(StatusExecution, "ProcessProviderExecutionError",
				"ProcessProviderExecutionError: failed to prepare command: command must not be empty")
		}
		if !o.NoTimeout && millisCeil(o.Timeout) == 0 {
			return newError(StatusTimeout, "ProcessProviderExecutionError",
				"ProcessProviderExecutionError: credential process timed out")
		}
		path, err := lookPath(name)
		cause := ""
		if err != nil {
			cause = err.Error()
		} else {
			cause = "fork/exec " + path + ": invalid argument"
		}
		return newError(StatusExecution, "ProcessProviderExecutionError",
			"ProcessProviderExecutionError: error in credential_process\ncaused by: "+cause)
	}}
}

// Apply hands the options that changed since the last call to the C library.
func (h *Provider) Apply(o Options) error {
	h.optMu.Lock()
	defer h.optMu.Unlock()
	if h.err != nil {
		h.applied = o
		return nil
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	p := h.ptr()
	if p == nil {
		return closedError()
	}
	a := h.applied
	defer func() { h.applied = a }()
	var st C.uint32_t
	check := func(what string) error {
		if Status(st) != StatusOK {
			return newError(Status(st), "InvalidParameter", "InvalidParameter: invalid "+what)
		}
		return nil
	}
	if o.Timeout != a.Timeout || o.NoTimeout != a.NoTimeout {
		ms := millisCeil(o.Timeout)
		if o.NoTimeout {
			ms = math.MaxUint64
		}
		st = C.pc_set_timeout(p, ms)
		if err := check("timeout"); err != nil {
			return err
		}
		a.Timeout, a.NoTimeout = o.Timeout, o.NoTimeout
	}
	if o.MaxBufSize != a.MaxBufSize {
		n := o.MaxBufSize
		if n < 0 {
			n = 0
		}
		st = C.pc_set_max_buf_size(p, C.size_t(n))
		if err := check("max buf size"); err != nil {
			return err
		}
		a.MaxBufSize = o.MaxBufSize
	}
	if o.ExpiryWindow != a.ExpiryWindow {
		st = C.pc_set_expiry_window(p, millisCeil(o.ExpiryWindow))
		if err := check("expiry window"); err != nil {
			return err
		}
		a.ExpiryWindow = o.ExpiryWindow
	}
	if o.Duration != a.Duration {
		st = C.pc_set_duration(p, millisCeil(o.Duration))
		if err := check("duration"); err != nil {
			return err
		}
		a.Duration = o.Duration
	}
	if o.Stderr != a.Stderr {
		st = C.pc_set_stderr(p, C.uint32_t(o.Stderr))
		if err := check("stderr mode"); err != nil {
			return err
		}
		a.Stderr = o.Stderr
	}
	if o.Stdin != a.Stdin {
		st = C.pc_set_stdin(p, C.uint32_t(o.Stdin))
		if err := check("stdin mode"); err != nil {
			return err
		}
		a.Stdin = o.Stdin
	}
	if o.SharedCache != a.SharedCache {
		mode := C.uint32_t(C.PC_SHARED_CACHE_OFF)
		if o.SharedCache {
			mode = C.PC_SHARED_CACHE_USER
		}
		st = C.pc_set_shared_cache(p, mode)
		if err := check("shared cache mode"); err != nil {
			return err
		}
		a.SharedCache = o.SharedCache
	}
	if o.SharedCacheKey != a.SharedCacheKey {
		st = setSharedCacheKey(p, o.SharedCacheKey)
		if err := check("shared cache key"); err != nil {
			return err
		}
		a.SharedCacheKey = o.SharedCacheKey
	}
	if !slices.Equal(o.SharedCacheEnv, a.SharedCacheEnv) {
		st = setSharedCacheEnv(p, o.SharedCacheEnv)
		if err := check("shared cache variable names"); err != nil {
			return err
		}
		a.SharedCacheEnv = slices.Clone(o.SharedCacheEnv)
	}
	if o.RefreshWindow != a.RefreshWindow {
		st = C.pc_set_refresh_window(p, millisCeil(o.RefreshWindow))
		if err := check("refresh window"); err != nil {
			return err
		}
		a.RefreshWindow = o.RefreshWindow
	}
	// The logger's level is read again at each Apply (a handler's level may change).
	st = C.uint32_t(h.setLogger(p, o.Logger))
	if err := check("logger"); err != nil {
		return err
	}
	a.Logger = o.Logger
	runtime.KeepAlive(h)
	return nil
}

// setSharedCacheKey calls pc_set_shared_cache_key ("" is NULL: no text).
func setSharedCacheKey(p *C.pc_provider, text string) C.uint32_t {
	if text == "" {
		return C.pc_set_shared_cache_key(p, nil)
	}
	if hasNUL(text) {
		return C.uint32_t(StatusInvalidArgument)
	}
	cs := C.CString(text)
	defer C.free(unsafe.Pointer(cs))
	return C.pc_set_shared_cache_key(p, cs)
}

// setSharedCacheEnv calls pc_set_shared_cache_env with the names in C memory.
func setSharedCacheEnv(p *C.pc_provider, names []string) C.uint32_t {
	if len(names) == 0 {
		return C.pc_set_shared_cache_env(p, nil, 0)
	}
	for _, n := range names {
		if hasNUL(n) {
			return C.uint32_t(StatusInvalidArgument)
		}
	}
	n := len(names)
	arr := unsafe.Slice((**C.char)(C.malloc(C.size_t(n)*C.size_t(unsafe.Sizeof((*C.char)(nil))))), n)
	for i, name := range names {
		arr[i] = C.CString(name)
	}
	defer func() {
		for _, c := range arr {
			C.free(unsafe.Pointer(c))
		}
		C.free(unsafe.Pointer(&arr[0]))
	}()
	return C.pc_set_shared_cache_env(p, &arr[0], C.size_t(n))
}

// Retrieve returns the cached credentials while they are valid, else runs the helper (once for
// all concurrent callers).
func (h *Provider) Retrieve() (*Credentials, error) {
	if h.err != nil {
		h.optMu.Lock()
		o := h.applied
		h.optMu.Unlock()
		return nil, h.err(o)
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	p := h.ptr()
	if p == nil {
		return nil, closedError()
	}
	var out *C.pc_credentials
	var cerr *C.pc_error
	st := Status(C.pc_retrieve(p, &out, &cerr))
	if st != StatusOK {
		runtime.KeepAlive(h)
		return nil, takeError(st, cerr)
	}
	var ms C.int64_t
	var last time.Time
	if C.pc_expires_at(p, &ms) {
		last = time.UnixMilli(int64(ms)).UTC()
	}
	runtime.KeepAlive(h)
	h.lastMu.Lock()
	h.lastExpiry = last
	h.lastMu.Unlock()
	return takeCredentials(out), nil
}

// LastExpiresAt is the window-adjusted expiry of the credentials of the last successful
// retrieve, kept after a failed one (as aws-sdk-go v1's provider keeps it); zero when they never
// expire or nothing was retrieved.
func (h *Provider) LastExpiresAt() time.Time {
	h.lastMu.Lock()
	defer h.lastMu.Unlock()
	return h.lastExpiry
}

// Fresh clears the cache and runs the helper, as aws-sdk-go's providers' Retrieve does.
func (h *Provider) Fresh() (*Credentials, error) {
	return h.FreshContext(context.Background(), 0)
}

// RetrieveAhead is Retrieve for an SDK cache in front of a provider with a refresh window
// (which calls it when it wants credentials, and otherwise keeps its own): the cached
// credentials when they are valid and either newer than the last ones returned (a background
// refresh landed) or inside their refresh window (a cached retrieve, which starts the
// background refresh); otherwise, as Fresh, a run of the helper (so that an SDK's Expire then
// Get runs it, as without a window).
func (h *Provider) RetrieveAhead(window time.Duration) (*Credentials, error) {
	return h.RetrieveAheadContext(context.Background(), window, 0)
}

// IsExpiredAhead is IsExpired for an SDK cache in front of a provider with a refresh window:
// also true when the library holds newer credentials than the last ones returned (so that the
// SDK retrieves them through RetrieveAhead); inside the window of the last ones returned it
// starts the library's background refresh (a cached retrieve, at once) and stays false.
func (h *Provider) IsExpiredAhead(window time.Duration) bool {
	if h.IsExpired() {
		return true
	}
	last := h.LastExpiresAt()
	exp, ok := h.ExpiresAt()
	if !ok {
		return !last.IsZero()
	}
	if !exp.Equal(last) {
		return true
	}
	if !time.Now().Before(exp.Add(-window)) {
		h.touch()
	}
	return false
}

// withPtr calls f with the C provider, under h.mu held for reading; false (f not called) when
// there is none: a provider the C library refused, or one closed.
func (h *Provider) withPtr(f func(p *C.pc_provider)) bool {
	if h.err != nil {
		return false
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	p := h.ptr()
	if p == nil {
		return false
	}
	f(p)
	runtime.KeepAlive(h)
	return true
}

// touch is a retrieve whose result is dropped: inside the refresh window it returns the cached
// credentials at once and starts the background refresh.
func (h *Provider) touch() {
	h.withPtr(func(p *C.pc_provider) {
		var out *C.pc_credentials
		if C.pc_retrieve(p, &out, nil) == C.PC_STATUS_OK {
			C.pc_credentials_free(out)
		}
	})
}

// IsExpired is true when nothing is cached or the cached credentials have expired.
func (h *Provider) IsExpired() bool {
	expired := true
	h.withPtr(func(p *C.pc_provider) { expired = bool(C.pc_is_expired(p)) })
	return expired
}

// Expire clears the cache.
func (h *Provider) Expire() {
	h.withPtr(func(p *C.pc_provider) { C.pc_expire(p) })
}

// ExpiresAt gives the window-adjusted expiry of the cached credentials; false when nothing is
// cached or they never expire.
func (h *Provider) ExpiresAt() (time.Time, bool) {
	var ms C.int64_t
	ok := false
	h.withPtr(func(p *C.pc_provider) { ok = bool(C.pc_expires_at(p, &ms)) })
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}

// Credentials are a copy, in Go memory, of a pc_credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	AccountID       string // "" when the helper gave none
	HasAccountID    bool
	ProviderName    string
	Expiration      time.Time // zero when CanExpire is false
	CanExpire       bool
}

// takeCredentials copies and frees c.
func takeCredentials(c *C.pc_credentials) *Credentials {
	defer C.pc_credentials_free(c)
	r := &Credentials{
		AccessKeyID:     C.GoString(C.pc_credentials_access_key_id(c)),
		SecretAccessKey: C.GoString(C.pc_credentials_secret_access_key(c)),
		SessionToken:    C.GoString(C.pc_credentials_session_token(c)),
		ProviderName:    C.GoString(C.pc_credentials_provider_name(c)),
	}
	if a := C.pc_credentials_account_id(c); a != nil {
		r.AccountID, r.HasAccountID = C.GoString(a), true
	}
	var ms C.int64_t
	if C.pc_credentials_expiration(c, &ms) {
		r.Expiration, r.CanExpire = time.UnixMilli(int64(ms)).UTC(), true
	}
	return r
}

// takeError copies and frees e; a NULL e (not expected) gives an error from the status alone.
func takeError(st Status, e *C.pc_error) error {
	if e == nil {
		return newError(st, "InternalError", "InternalError: "+st.String())
	}
	defer C.pc_error_free(e)
	return newError(Status(C.pc_error_status(e)), C.GoString(C.pc_error_code(e)), C.GoString(C.pc_error_message(e)))
}
