// Package awsv2 is a credential_process provider for aws-sdk-go-v2, backed by the processcreds
// C library: the same semantics as the root package (aws-sdk-go v1's, minus its defects),
// behind aws-sdk-go-v2's aws.CredentialsProvider.
//
//	cfg.Credentials = aws.NewCredentialsCache(awsv2.NewProvider("/path/to/command"))
//
// Like aws-sdk-go-v2's credentials/processcreds provider, Retrieve runs the helper at every
// call; wrap the provider in aws.NewCredentialsCache (config.LoadDefaultConfig does) to cache.
package awsv2

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/processcreds/processcreds/bindings/go/internal/capi"
)

const (
	// ProviderName is the Source of the credentials this provider returns.
	ProviderName = `ProcessProvider`

	// deadlineGrace is how long a Retrieve whose ctx deadline is also the library's timeout
	// waits, once the deadline passed, for the library's timeout error before it cancels.
	deadlineGrace = 50 * time.Millisecond

	// DefaultTimeout is the default limit on the time the helper may run (the library's
	// PC_DEFAULT_TIMEOUT_MS, one minute).
	DefaultTimeout = capi.DefaultTimeout

	// DefaultBufSize is the default MaxBufSize (the library's PC_DEFAULT_BUF_SIZE, 8 KiB).
	DefaultBufSize = capi.DefaultBufSize
)

// StderrMode says where the helper's stderr goes.
type StderrMode uint32

// Stderr modes.
const (
	StderrInherit = StderrMode(capi.StderrInherit) // this program's stderr (default)
	StderrCapture = StderrMode(capi.StderrCapture) // captured, appended to the error of a failed run
	StderrDiscard = StderrMode(capi.StderrDiscard) // /dev/null
)

// StdinMode says where the helper's stdin comes from.
type StdinMode uint32

// Stdin modes.
const (
	StdinInherit = StdinMode(capi.StdinInherit) // this program's stdin (default)
	StdinNull    = StdinMode(capi.StdinNull)    // /dev/null
)

// Options mirror aws-sdk-go-v2's credentials/processcreds.Options, plus the library's own.
type Options struct {
	// Timeout limits the time the helper may run (default DefaultTimeout); the helper and its
	// descendants are killed when it passes. A negative Timeout means no limit, as in
	// aws-sdk-go-v2; 0 fails at once with the timeout error. A deadline of the context given to
	// Retrieve also limits the run.
	Timeout time.Duration

	// CredentialSources is the chain of credential sources that led to this provider
	// (ProviderSources), as in aws-sdk-go-v2; nil means just aws.CredentialSourceProcess.
	CredentialSources []aws.CredentialSource

	// MaxBufSize limits the helper's output (default DefaultBufSize); output beyond it, other
	// than trailing whitespace, fails with a parse error.
	MaxBufSize int

	// Duration, when positive, is the lifetime of credentials whose output has no Expiration
	// (they then have CanExpire and Expires). 0 (default): they never expire.
	Duration time.Duration

	// Stderr is where the helper's stderr goes (default StderrInherit).
	Stderr StderrMode

	// Stdin is where the helper's stdin comes from (default StdinInherit).
	Stdin StdinMode

	// SharedCache shares the credentials with the same user's other processes (default
	// false): Retrieve serves a valid entry of the per-user cache directory, and otherwise one
	// process at a time runs the helper for the same command and writes its result. POSIX only.
	// aws.CredentialsCache's Invalidate makes the next Retrieve refuse an entry holding the
	// credentials it had (the helper runs), unless another process already replaced them.
	SharedCache bool
	// SharedCacheKey is extra text for the shared cache's key ("" for none), as
	// processcreds cache --cache-key.
	SharedCacheKey string
	// SharedCacheEnv names variables whose values the shared cache's key holds too, as
	// processcreds cache --key-env.
	SharedCacheEnv []string
	// RefreshWindow (0, the default, is off) refreshes ahead: the credentials' Expires is set
	// RefreshWindow before their expiry, so that aws.CredentialsCache comes back then; that
	// Retrieve returns the same credentials at once, with their real Expires, and the library
	// runs the helper in the background. When the cache comes back at the expiry, the refreshed
	// credentials are there (or, if every background refresh failed, the helper runs and its
	// error is returned). See "Refresh ahead" in the README.
	RefreshWindow time.Duration

	// Logger receives the library's events (nil, the default: none), as the root package's
	// ProcessProvider.Logger describes.
	Logger *slog.Logger
}

// ProviderError is the error of a failed Retrieve, as aws-sdk-go-v2's
// processcreds.ProviderError: its Err is an *Error of the library, with aws-sdk-go v1's
// code (Code()) and text (Error()).
type ProviderError struct {
	Err error
}

// Error returns "process provider error: " and the library's error text.
func (e *ProviderError) Error() string {
	return fmt.Sprintf("process provider error: %v", e.Err)
}

// Unwrap returns the library's error.
func (e *ProviderError) Unwrap() error {
	return e.Err
}

// Error is the library's error (see the root package's Error).
type Error = capi.Error

// Provider runs a credential_process helper; it implements aws.CredentialsProvider and is safe
// for concurrent use.
type Provider struct {
	h       *capi.Provider
	options Options
}

var _ aws.CredentialsProvider = (*Provider)(nil)

// NewProvider returns a Provider that runs `sh -c command`, with the option functions applied.
func NewProvider(command string, optFns ...func(*Options)) *Provider {
	return newProvider(capi.NewCommand(command), optFns)
}

// NewProviderArgv returns a Provider that runs argv[0] with the arguments argv[1:], with no
// shell.
func NewProviderArgv(argv []string, optFns ...func(*Options)) *Provider {
	return newProvider(capi.NewArgv(argv), optFns)
}

func newProvider(h *capi.Provider, optFns []func(*Options)) *Provider {
	p := &Provider{h: h, options: Options{Timeout: DefaultTimeout, MaxBufSize: DefaultBufSize}}
	for _, fn := range optFns {
		fn(&p.options)
	}
	return p
}

// Close frees the provider's C resources. Idempotent; a finalizer does it for a provider that
// is no longer reachable.
func (p *Provider) Close() {
	p.h.Close()
}

// Retrieve runs the helper and returns its credentials: Source "ProcessProvider", CanExpire and
// Expires from the helper's Expiration (or Duration), AccountID from its AccountId. The run is
// the library's asynchronous request: when ctx is done first, the request is cancelled and, when
// no other caller of this process waits for the run, the helper and its descendants are killed
// at once; the error then wraps ctx's error. A deadline of ctx also shortens the timeout (the
// library's timeout error is returned when it ends the run at that deadline).
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if err := ctx.Err(); err != nil {
		return aws.Credentials{Source: ProviderName}, &ProviderError{Err: err}
	}
	o := capi.Options{
		Timeout:     p.options.Timeout,
		NoTimeout:   p.options.Timeout < 0,
		MaxBufSize:  p.options.MaxBufSize,
		Duration:    p.options.Duration,
		Stderr:      uint32(p.options.Stderr),
		Stdin:       uint32(p.options.Stdin),
		SharedCache: p.options.SharedCache,

		SharedCacheKey: p.options.SharedCacheKey,
		SharedCacheEnv: p.options.SharedCacheEnv,
		RefreshWindow:  p.options.RefreshWindow,
		Logger:         p.options.Logger,
	}
	// When the deadline is the library's timeout too, its timeout error (the helper killed at
	// the deadline) is waited for a moment before the request is cancelled.
	graceful := time.Duration(0)
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return aws.Credentials{Source: ProviderName}, &ProviderError{Err: context.DeadlineExceeded}
		}
		if o.NoTimeout || left < o.Timeout {
			o.Timeout, o.NoTimeout, graceful = left, false, deadlineGrace
		}
	}
	var c *capi.Credentials
	err := p.h.Apply(o)
	if err == nil && o.RefreshWindow > 0 {
		c, err = p.h.RetrieveAheadContext(ctx, o.RefreshWindow, graceful)
	} else if err == nil {
		c, err = p.h.FreshContext(ctx, graceful)
	}
	if err != nil {
		return aws.Credentials{Source: ProviderName}, &ProviderError{Err: err}
	}
	expires := c.Expiration
	if w := o.RefreshWindow; w > 0 && c.CanExpire {
		// Come back when the refresh window opens; inside it, at the expiry.
		if at := p.h.LastExpiresAt().Add(-w); time.Now().Before(at) && at.Before(expires) {
			expires = at
		}
	}
	return aws.Credentials{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Source:          ProviderName,
		CanExpire:       c.CanExpire,
		Expires:         expires,
		AccountID:       c.AccountID,
	}, nil
}

// Stats are a provider's counters (the root package's Stats).
type Stats = capi.Stats

// Stats returns the provider's counters since it was made (the C library's pc_stats): helper
// runs, failures and timeouts, cache hits and misses, shared-cache hits, writes and bypasses,
// refreshes ahead, the last run's duration. Zero after Close.
func (p *Provider) Stats() Stats {
	return p.h.Stats()
}

// ProviderSources returns the credential chain that was used to construct this provider.
func (p *Provider) ProviderSources() []aws.CredentialSource {
	if p.options.CredentialSources == nil {
		return []aws.CredentialSource{aws.CredentialSourceProcess}
	}
	return p.options.CredentialSources
}
