package capi

/*
#include <stdint.h>
#include <processcreds.h>

uint32_t pcgo_retrieve_async(const pc_provider *p, uintptr_t handle, pc_request **out);
*/
import "C"

import (
	"context"
	"errors"
	"runtime"
	"runtime/cgo"
	"time"
	"unsafe"
)

// The statuses of an asynchronous retrieve.
const (
	StatusCanceled  Status = C.PC_STATUS_CANCELED
	StatusNotCached Status = C.PC_STATUS_NOT_CACHED
)

// result is what a request's callback brings: credentials (copied) or the error.
type result struct {
	c   *Credentials
	err error
}

// pcgoRetrieveDone is the callback of pc_retrieve_async, on the library's callback thread: it
// copies the result into Go memory, frees the C objects and hands the result to the waiting
// goroutine (the channel has room for it: this never blocks the library's thread).
//
//export pcgoRetrieveDone
func pcgoRetrieveDone(userData unsafe.Pointer, status C.uint32_t, creds *C.pc_credentials, err *C.pc_error) {
	h := cgo.Handle(uintptr(userData))
	done := h.Value().(chan result)
	h.Delete()
	if Status(status) == StatusOK {
		done <- result{c: takeCredentials(creds)}
		return
	}
	done <- result{err: takeError(Status(status), err)}
}

// RetrieveContext is Retrieve that gives up when ctx is done: the request is cancelled
// (pc_request_cancel), so that when no other caller of this process waits for the run, the
// helper and its descendants are killed at once; it returns ctx's error (the credentials, if
// they came first). A ctx that can never be done is a plain Retrieve. While the request waits,
// Close of the provider cancels it (the error then has StatusCanceled).
//
// graceful, when positive, is how long a done ctx whose deadline the caller also gave the
// library as its timeout waits for the library's own timeout error before cancelling.
func (h *Provider) RetrieveContext(ctx context.Context, graceful time.Duration) (*Credentials, error) {
	if h.err != nil || ctx.Done() == nil {
		return h.Retrieve()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	done := make(chan result, 1)
	handle := cgo.NewHandle(done)
	var req *C.pc_request
	started := h.withPtr(func(p *C.pc_provider) {
		if st := Status(C.pcgo_retrieve_async(p, C.uintptr_t(handle), &req)); st != StatusOK {
			handle.Delete()
			done <- result{err: newError(st, "InternalError", "InternalError: pc_retrieve_async failed with "+st.String())}
		}
	})
	if !started {
		handle.Delete()
		return nil, closedError()
	}
	defer C.pc_request_free(req)
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		if graceful > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			select {
			case r = <-done:
				return h.finish(r)
			case <-time.After(graceful):
			}
		}
		C.pc_request_cancel(req)
		// The callback comes at once now (cancelled, or the result that beat the cancel).
		r = <-done
		if r.err != nil {
			return nil, ctx.Err()
		}
	}
	runtime.KeepAlive(h)
	return h.finish(r)
}

// finish records the expiry of a successful retrieve, as Retrieve does.
func (h *Provider) finish(r result) (*Credentials, error) {
	if r.err != nil {
		return nil, r.err
	}
	var last time.Time
	if exp, ok := h.ExpiresAt(); ok {
		last = exp
	}
	h.lastMu.Lock()
	h.lastExpiry = last
	h.lastMu.Unlock()
	return r.c, nil
}

// FreshContext is Fresh that gives up when ctx is done (see RetrieveContext).
func (h *Provider) FreshContext(ctx context.Context, graceful time.Duration) (*Credentials, error) {
	h.Expire()
	return h.RetrieveContext(ctx, graceful)
}

// RetrieveAheadContext is RetrieveAhead that gives up when ctx is done (see RetrieveContext).
func (h *Provider) RetrieveAheadContext(ctx context.Context, window, graceful time.Duration) (*Credentials, error) {
	if exp, ok := h.ExpiresAt(); ok && !h.IsExpired() {
		if !exp.Equal(h.LastExpiresAt()) || !time.Now().Before(exp.Add(-window)) {
			return h.Retrieve()
		}
	}
	return h.FreshContext(ctx, graceful)
}
