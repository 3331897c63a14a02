/*
Package processcreds is a credential provider that runs a `credential_process` helper with the
semantics of aws-sdk-go v1's aws/credentials/processcreds, backed by the processcreds C library
(libprocesscreds) shared with its C and Python bindings.

It is a drop-in for github.com/aws/aws-sdk-go/aws/credentials/processcreds: change the import
path and the program keeps working.

	creds := processcreds.NewCredentials("/path/to/command")
	svc := s3.New(sess, &aws.Config{Credentials: creds})

Option functions set the exported fields of ProcessProvider, as in aws-sdk-go v1:

	creds := processcreds.NewCredentials("/path/to/command",
		func(opt *processcreds.ProcessProvider) {
			opt.Timeout = 2 * time.Minute
			opt.MaxBufSize = 2048
		})

The differences from aws-sdk-go v1 are the library's deliberate divergences D1-D9 (the timeout
kills the helper and its descendants, parse errors never show the helper's output, ...), and
Duration: the constructors leave it at 0 (unset), and a Duration set by an option is the
lifetime of credentials whose output has no Expiration (aws-sdk-go v1 sets 15 minutes and then
ignores it; see the README).

Beyond aws-sdk-go v1: NewCredentialsArgv runs a program with no shell, NewCredentialsFromProfile
resolves a shared-config profile's credential_process, and the Stderr and Stdin fields choose
what the helper's stderr and stdin are connected to.

Observability: the Logger field gives the library's events (each run of the helper, cache hits
and misses, the shared cache's writes, hits and bypasses, refreshes ahead) to a *slog.Logger, and
Stats returns the provider's counters (see the repository's README, "Observability"):

	creds := processcreds.NewCredentials("/path/to/command",
		func(opt *processcreds.ProcessProvider) { opt.Logger = slog.Default() })
*/
package processcreds

import (
	"context"
	"log/slog"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go/aws/credentials"

	"github.com/processcreds/processcreds/bindings/go/internal/capi"
)

const (
	// ProviderName is the name this credentials provider will label any
	// returned credentials Value with.
	ProviderName = `ProcessProvider`

	// ErrCodeProcessProviderParse error parsing process output
	ErrCodeProcessProviderParse = "ProcessProviderParseError"

	// ErrCodeProcessProviderVersion version error in output
	ErrCodeProcessProviderVersion = "ProcessProviderVersionError"

	// ErrCodeProcessProviderRequired required attribute missing in output
	ErrCodeProcessProviderRequired = "ProcessProviderRequiredError"

	// ErrCodeProcessProviderExecution execution of command failed
	ErrCodeProcessProviderExecution = "ProcessProviderExecutionError"

	// ErrCodeSharedConfig is the code of a profile that cannot give a provider
	// (aws-sdk-go v1's session.ErrCodeSharedConfig).
	ErrCodeSharedConfig = "SharedConfigErr"

	// ErrCodeInvalidParameter is the code of an argument the library refuses.
	ErrCodeInvalidParameter = "InvalidParameter"

	// DefaultDuration is aws-sdk-go v1's default for Duration. The constructors here leave
	// Duration unset (0); set it to this value to have credentials without an Expiration
	// refreshed every 15 minutes.
	DefaultDuration = time.Duration(15) * time.Minute

	// DefaultBufSize limits buffer size from growing to an enormous
	// amount due to a faulty process (the library's PC_DEFAULT_BUF_SIZE, 8 KiB).
	DefaultBufSize = capi.DefaultBufSize

	// DefaultTimeout default limit on time a process can run (the library's
	// PC_DEFAULT_TIMEOUT_MS, one minute).
	DefaultTimeout = capi.DefaultTimeout
)

// StderrMode says where the helper's stderr goes.
type StderrMode uint32

const (
	// StderrInherit: the helper writes to this program's stderr (the default, as in
	// aws-sdk-go v1, so that MFA prompts show).
	StderrInherit = StderrMode(capi.StderrInherit)
	// StderrCapture: the helper's stderr is captured (at most 64 KiB kept) and its end is
	// appended to the error of a failed run, never to a successful one.
	StderrCapture = StderrMode(capi.StderrCapture)
	// StderrDiscard: the helper's stderr goes to /dev/null.
	StderrDiscard = StderrMode(capi.StderrDiscard)
)

// StdinMode says where the helper's stdin comes from.
type StdinMode uint32

const (
	// StdinInherit: the helper reads this program's stdin (the default, as in aws-sdk-go v1).
	StdinInherit = StdinMode(capi.StdinInherit)
	// StdinNull: the helper's stdin is /dev/null.
	StdinNull = StdinMode(capi.StdinNull)
)

// SharedConfigState says whether NewCredentialsFromProfile reads the shared config file, as
// aws-sdk-go v1's session.SharedConfigState.
type SharedConfigState uint32

const (
	// SharedConfigStateFromEnv reads the config file when AWS_SDK_LOAD_CONFIG is true.
	SharedConfigStateFromEnv = SharedConfigState(capi.SharedConfigEnv)
	// SharedConfigDisable never reads the config file (the credentials file is always read).
	SharedConfigDisable = SharedConfigState(capi.SharedConfigDisable)
	// SharedConfigEnable reads the config file.
	SharedConfigEnable = SharedConfigState(capi.SharedConfigEnable)
)

// Error is the error of every failed Retrieve. It satisfies aws-sdk-go's awserr.Error (and
// awserr.BatchedErrors): Error() is aws-sdk-go v1's exact text, Code() one of the
// ErrCodeProcessProvider... constants, Message() and OrigErr() its parts; Stderr() gives the
// helper's captured stderr (StderrCapture) and Status() the C library's status.
type Error = capi.Error

// Status is the C library's status of an Error.
type Status = capi.Status

// The statuses of Error.Status().
const (
	StatusInvalidArgument = capi.StatusInvalidArgument
	StatusExecution       = capi.StatusExecution
	StatusTimeout         = capi.StatusTimeout
	StatusParse           = capi.StatusParse
	StatusVersion         = capi.StatusVersion
	StatusRequired        = capi.StatusRequired
	StatusConfig          = capi.StatusConfig
	StatusInternal        = capi.StatusInternal
	StatusCanceled        = capi.StatusCanceled
	StatusNotCached       = capi.StatusNotCached
)

// A ProcessProvider runs a credential_process helper. Its exported fields are read at every
// Retrieve. Build it with NewCredentials... (or NewProvider...): the zero value has no helper.
type ProcessProvider struct {
	// Duration is the lifetime of credentials whose output has no Expiration; 0 (what the
	// constructors set) means they never expire, as aws-sdk-go v1 behaves. aws-sdk-go v1
	// documents this field but ignores it.
	Duration time.Duration

	// ExpiryWindow will allow the credentials to trigger refreshing prior to
	// the credentials actually expiring. This is beneficial so race conditions
	// with expiring credentials do not cause request to fail unexpectedly
	// due to ExpiredTokenException exceptions.
	//
	// So a ExpiryWindow of 10s would cause calls to IsExpired() to return true
	// 10 seconds before the credentials are actually expired.
	//
	// If ExpiryWindow is 0 or less it will be ignored.
	ExpiryWindow time.Duration

	// MaxBufSize limits memory usage from growing to an enormous
	// amount due to a faulty process. Output beyond it (other than trailing
	// whitespace) fails the retrieve with a parse error.
	MaxBufSize int

	// Timeout limits the time a process can run; the helper and its descendants are killed
	// when it passes. 0 or less fails every retrieve with the timeout error.
	Timeout time.Duration

	// Stderr is where the helper's stderr goes (default StderrInherit).
	Stderr StderrMode

	// Stdin is where the helper's stdin comes from (default StdinInherit).
	Stdin StdinMode

	// SharedCache shares the credentials with the same user's other processes (default
	// false): Retrieve serves a valid entry of the per-user cache directory, and otherwise one
	// process at a time runs the helper for the same command and writes its result. See the
	// repository's README, "Sharing credentials between processes". POSIX only. The cache's key
	// holds what can change the helper's output (the program's file, relative paths' directory,
	// the variables a command references, HOME, every AWS_* variable, Duration, MaxBufSize).
	SharedCache bool
	// SharedCacheKey is extra text for the shared cache's key ("" for none): providers running
	// one helper for different purposes keep separate entries (processcreds cache --cache-key).
	SharedCacheKey string
	// SharedCacheEnv names variables whose values the shared cache's key holds too, because the
	// helper reads them without its command line showing it (processcreds cache --key-env).
	SharedCacheEnv []string
	// RefreshWindow (beyond aws-sdk-go v1; 0, the default, is off) refreshes ahead: within that
	// time before the credentials expire (less ExpiryWindow), credentials.Credentials keeps
	// returning them at once while the library runs the helper in the background; a failed
	// background refresh keeps them and is retried after a back-off (1 s, doubling, at most
	// 1 min). Only once they have expired does Get wait for the helper (and return its error).
	// See "Refresh ahead" in the README.
	RefreshWindow time.Duration

	// Logger receives the library's events (nil, the default: none) as slog records: the
	// message is the event's name ("helper.exit"), with the attribute "event" and the event's
	// fields (program, status, duration_ms, bytes, ...) as string attributes, at the levels
	// error, warn, info and debug. Only the levels its handler is enabled for cross from the C
	// library (read at every Retrieve). Records come from the goroutine that retrieves, or from
	// the library's refresh-ahead and asynchronous-request threads; no record ever holds a secret or the helper's
	// arguments. A handler may call Stats; it must not call Retrieve or change the Logger.
	Logger *slog.Logger

	h            *capi.Provider
	sharedConfig SharedConfigState
}

func newProcessProvider(options []func(*ProcessProvider)) *ProcessProvider {
	p := &ProcessProvider{
		Timeout:    DefaultTimeout,
		MaxBufSize: DefaultBufSize,
	}
	for _, option := range options {
		option(p)
	}
	return p
}

// NewProvider returns a ProcessProvider that runs `sh -c command` (on Windows
// `cmd.exe /d /s /c "command"`, the command reaching cmd.exe verbatim), with the options applied.
// Close it when done (or let the garbage collector do it).
func NewProvider(command string, options ...func(*ProcessProvider)) *ProcessProvider {
	p := newProcessProvider(options)
	p.h = capi.NewCommand(command)
	return p
}

// NewProviderArgv returns a ProcessProvider that runs argv[0] with the arguments argv[1:],
// with no shell (argv[0] is looked up on PATH when it has no slash).
func NewProviderArgv(argv []string, options ...func(*ProcessProvider)) *ProcessProvider {
	p := newProcessProvider(options)
	p.h = capi.NewArgv(argv)
	return p
}

// NewProviderCommand returns a ProcessProvider for an exec.Cmd, as aws-sdk-go v1 runs one:
// `sh -c` with command.Args, so that extra arguments become $0, $1, ... of the shell command
// command.Args[0]. On Windows aws-sdk-go v1 runs `cmd.exe /C` with command.Args quoted by Go's
// argument rules; here the same quoted line is the command string cmd.exe runs verbatim (D10).
// Only Args is used (aws-sdk-go v1 also ignores Path, Env, Dir and the standard streams). An
// empty or blank Args[0] is the empty-command error.
func NewProviderCommand(command *exec.Cmd, options ...func(*ProcessProvider)) *ProcessProvider {
	p := newProcessProvider(options)
	var args []string
	if command != nil {
		args = command.Args
	}
	switch {
	case len(args) == 0 || strings.TrimSpace(args[0]) == "":
		p.h = capi.NewCommand("")
	case len(args) == 1:
		p.h = capi.NewCommand(args[0])
	default:
		p.h = shellArgs(args)
	}
	return p
}

// NewProviderFromProfile returns a ProcessProvider for a shared-config profile, resolved now
// as aws-sdk-go v1's session resolves it: the profile's credential_process (run as `sh -c`,
// or by cmd.exe on Windows),
// or its static keys (returned with ProviderName "SharedConfigCredentials: <file>", never
// expiring). profile "" means AWS_PROFILE, then AWS_DEFAULT_PROFILE (when shared config is
// on), then "default". The config file is read as AWS_SDK_LOAD_CONFIG says unless an option
// calls WithSharedConfigState. A profile that cannot give a provider is an *Error with code
// SharedConfigErr.
func NewProviderFromProfile(profile string, options ...func(*ProcessProvider)) (*ProcessProvider, error) {
	p := newProcessProvider(options)
	h, err := capi.NewProfile(profile, uint32(p.sharedConfig))
	if err != nil {
		return nil, err
	}
	p.h = h
	return p, nil
}

// WithSharedConfigState is an option for NewCredentialsFromProfile and NewProviderFromProfile:
// whether the shared config file is read (default SharedConfigStateFromEnv).
func WithSharedConfigState(state SharedConfigState) func(*ProcessProvider) {
	return func(p *ProcessProvider) { p.sharedConfig = state }
}

// NewCredentials returns a pointer to a new Credentials object wrapping the
// ProcessProvider.
// Timeout defaults to one minute and MaxBufSize to DefaultBufSize; Duration is
// left unset, so credentials without an Expiration never expire (as in aws-sdk-go v1).
func NewCredentials(command string, options ...func(*ProcessProvider)) *credentials.Credentials {
	return credentials.NewCredentials(NewProvider(command, options...))
}

// NewCredentialsTimeout returns a pointer to a new Credentials object with
// the specified command and timeout, and default duration and max buffer size.
func NewCredentialsTimeout(command string, timeout time.Duration) *credentials.Credentials {
	return NewCredentials(command, func(opt *ProcessProvider) {
		opt.Timeout = timeout
	})
}

// NewCredentialsCommand returns a pointer to a new Credentials object with
// the specified command, and default timeout, duration and max buffer size.
// The command runs as aws-sdk-go v1 runs it: `sh -c` with command.Args.
func NewCredentialsCommand(command *exec.Cmd, options ...func(*ProcessProvider)) *credentials.Credentials {
	return credentials.NewCredentials(NewProviderCommand(command, options...))
}

// NewCredentialsArgv returns a pointer to a new Credentials object running argv[0] with the
// arguments argv[1:] directly, with no shell.
func NewCredentialsArgv(argv []string, options ...func(*ProcessProvider)) *credentials.Credentials {
	return credentials.NewCredentials(NewProviderArgv(argv, options...))
}

// NewCredentialsFromProfile returns a pointer to a new Credentials object for a shared-config
// profile (see NewProviderFromProfile); the error is the profile's configuration error.
func NewCredentialsFromProfile(profile string, options ...func(*ProcessProvider)) (*credentials.Credentials, error) {
	p, err := NewProviderFromProfile(profile, options...)
	if err != nil {
		return nil, err
	}
	return credentials.NewCredentials(p), nil
}

func (p *ProcessProvider) options() capi.Options {
	return capi.Options{
		Timeout:      p.Timeout,
		MaxBufSize:   p.MaxBufSize,
		ExpiryWindow: p.ExpiryWindow,
		Duration:     p.Duration,
		Stderr:       uint32(p.Stderr),
		Stdin:        uint32(p.Stdin),
		SharedCache:  p.SharedCache,

		SharedCacheKey: p.SharedCacheKey,
		SharedCacheEnv: p.SharedCacheEnv,
		RefreshWindow:  p.RefreshWindow,
		Logger:         p.Logger,
	}
}

// Stats are a provider's counters (see Stats of ProcessProvider).
type Stats = capi.Stats

// Stats returns the provider's counters since it was made: helper runs, failures and timeouts,
// the library's cache hits and misses, shared-cache hits, writes and bypasses, refreshes ahead,
// the last run's duration (the C library's pc_stats). Cheap (atomic reads); zero after Close.
func (p *ProcessProvider) Stats() Stats {
	if p.h == nil {
		return Stats{}
	}
	return p.h.Stats()
}

func noHelper() error {
	return capi.NoHelperError()
}

// Retrieve runs the helper and returns its credentials, as aws-sdk-go v1 does: every call runs
// the helper (credentials.Credentials caches the result, and calls Retrieve again once
// IsExpired says so or after its Expire()). With a RefreshWindow, it returns at once the
// library's cached credentials when they are inside their refresh window or newer than the last
// ones returned (a background refresh landed).
func (p *ProcessProvider) Retrieve() (credentials.Value, error) {
	// A context that can never be done: the blocking retrieve, no request.
	return p.RetrieveWithContext(context.Background())
}

// RetrieveWithContext is Retrieve that gives up when ctx is done (aws-sdk-go v1's
// credentials.ProviderWithContext): the library's request is cancelled and, when no other caller
// of this process waits for the run, the helper and its descendants are killed at once; the
// error is then an *Error with code "RequestCanceled" (as aws-sdk-go v1 words a cancelled
// request) wrapping ctx's error. A ctx that can never be done runs as Retrieve. (aws-sdk-go v1's
// Credentials.GetWithContext hands its providers a context whose cancellation is suppressed, so
// that one caller giving up does not fail the others sharing the retrieve; it returns
// RequestCanceled to that caller itself.)
func (p *ProcessProvider) RetrieveWithContext(ctx credentials.Context) (credentials.Value, error) {
	if p.h == nil {
		return credentials.Value{ProviderName: ProviderName}, noHelper()
	}
	if err := p.h.Apply(p.options()); err != nil {
		return credentials.Value{ProviderName: ProviderName}, err
	}
	var c *capi.Credentials
	var err error
	if p.RefreshWindow > 0 {
		c, err = p.h.RetrieveAheadContext(ctx, p.RefreshWindow, 0)
	} else {
		c, err = p.h.FreshContext(ctx, 0)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && err == ctxErr {
			err = capi.Canceled(ctxErr)
		}
		return credentials.Value{ProviderName: ProviderName}, err
	}
	return credentials.Value{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		ProviderName:    c.ProviderName,
	}, nil
}

var _ credentials.ProviderWithContext = (*ProcessProvider)(nil)

// IsExpired returns true when the last Retrieve failed or gave nothing yet, or its credentials
// have expired (their Expiration, or Duration after the Retrieve, minus ExpiryWindow). With a
// RefreshWindow, it is also true once a background refresh has landed newer credentials, and
// inside the window it starts that refresh (returning false: the credentials are valid).
func (p *ProcessProvider) IsExpired() bool {
	if p.h == nil {
		return true
	}
	if p.RefreshWindow > 0 {
		return p.h.IsExpiredAhead(p.RefreshWindow)
	}
	return p.h.IsExpired()
}

// ExpiresAt returns when the credentials of the last successful Retrieve expire, ExpiryWindow
// subtracted (also once that time has passed, and after a failed Retrieve, as in aws-sdk-go v1);
// the zero time when they never expire or nothing was retrieved.
func (p *ProcessProvider) ExpiresAt() time.Time {
	if p.h == nil {
		return time.Time{}
	}
	return p.h.LastExpiresAt()
}

// Expire clears the library's cached credentials, so that the next Retrieve runs the helper
// (credentials.Credentials' own Expire leads to the same: its next Get calls Retrieve, which
// does this first). With SharedCache, that retrieve does not accept a shared entry holding the
// credentials expired here (the service just rejected them): it runs the helper under the
// cross-process lock and replaces the entry, unless another process already replaced it.
func (p *ProcessProvider) Expire() {
	if p.h != nil {
		p.h.Expire()
	}
}

// Close frees the provider's C resources. Idempotent; a finalizer does it for a provider that
// is no longer reachable. Retrieve fails after Close.
func (p *ProcessProvider) Close() {
	if p.h != nil {
		p.h.Close()
	}
}

// CredentialProcessResponse is the JSON object the helper prints (as in aws-sdk-go v1).
type CredentialProcessResponse struct {
	// As of this writing, the Version key must be set to 1. This might
	// increment over time as the structure evolves.
	Version int

	// The access key ID that identifies the temporary security credentials.
	AccessKeyID string `json:"AccessKeyId"`

	// The secret access key that can be used to sign requests.
	SecretAccessKey string

	// The token that users must pass to the service API to use the temporary credentials.
	SessionToken string

	// The date on which the current credentials expire.
	Expiration *time.Time
}

// LibraryVersion is the version of the processcreds C library in use, e.g. "0.1.0".
func LibraryVersion() string {
	return capi.Version()
}
