package capi

import (
	"errors"
	"strings"
)

// Error is an error of the library: its status, aws-sdk-go's awserr code and Go's Error() text.
// It satisfies aws-sdk-go's awserr.Error and awserr.BatchedErrors.
type Error struct {
	status Status
	code   string
	text   string
	// cause, when set, is the Go error the text's cause was made from (Unwrap gives it).
	cause error
}

// Unwrap gives the Go error behind a cancelled request (the context's), else nil.
func (e *Error) Unwrap() error { return e.cause }

func newError(status Status, code, text string) *Error {
	return &Error{status: status, code: code, text: text}
}

const (
	causedBy  = "\ncaused by: "
	stderrSep = "\nstderr: "
)

// Error is Go's text: "CODE: message", then "\ncaused by: cause" where aws-sdk-go has a cause,
// then "\nstderr: text" when the helper's stderr was captured.
func (e *Error) Error() string { return e.text }

// Status is the PC_STATUS_* value of the C ABI.
func (e *Error) Status() Status { return e.status }

// Code is the awserr code, e.g. "ProcessProviderExecutionError".
func (e *Error) Code() string { return e.code }

// parts splits the text into message, cause and captured stderr. The message never holds the
// separators; the stderr text (last) may.
func (e *Error) parts() (message, cause, stderr string, hasCause bool) {
	rest := strings.TrimPrefix(e.text, e.code+": ")
	c := strings.Index(rest, causedBy)
	s := strings.Index(rest, stderrSep)
	switch {
	case s >= 0 && (c < 0 || s < c):
		return rest[:s], "", rest[s+len(stderrSep):], false
	case c >= 0:
		after := rest[c+len(causedBy):]
		if i := strings.Index(after, stderrSep); i >= 0 {
			return rest[:c], after[:i], after[i+len(stderrSep):], true
		}
		return rest[:c], after, "", true
	default:
		return rest, "", "", false
	}
}

// Message is aws-sdk-go's message, without the code, the cause or captured stderr.
func (e *Error) Message() string {
	m, _, _, _ := e.parts()
	return m
}

// OrigErr is the cause ("exit status 1", the parse problem, ...), nil when there is none.
func (e *Error) OrigErr() error {
	_, c, _, ok := e.parts()
	if !ok {
		return nil
	}
	return errors.New(c)
}

// OrigErrs is OrigErr as a list (awserr.BatchedErrors).
func (e *Error) OrigErrs() []error {
	if o := e.OrigErr(); o != nil {
		return []error{o}
	}
	return nil
}

// Stderr is the end of the helper's captured stderr attached to the error ("" when none).
func (e *Error) Stderr() string {
	_, _, s, _ := e.parts()
	return s
}

// NoHelperError is the error of a provider built without a constructor.
func NoHelperError() error {
	return newError(StatusInvalidArgument, "InvalidParameter",
		"InvalidParameter: provider has no helper; build it with a constructor")
}

// Canceled is the error of a request given up because its context ended: code "RequestCanceled"
// and aws-sdk-go v1's message, cause the context's error (OrigErr, and errors.Is/As through
// Unwrap).
func Canceled(cause error) *Error {
	e := newError(StatusCanceled, "RequestCanceled",
		"RequestCanceled: request context canceled"+causedBy+cause.Error())
	e.cause = cause
	return e
}
