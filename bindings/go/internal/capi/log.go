package capi

/*
#include <stdint.h>
*/
import "C"

import (
	"context"
	"log/slog"
	"runtime/cgo"
	"strconv"
	"strings"
	"unsafe"
)

// slogLevels are the PC_LOG_* levels (1 to 4) and the slog level each is given as.
var slogLevels = [...]slog.Level{0, slog.LevelError, slog.LevelWarn, slog.LevelInfo, slog.LevelDebug}

// wantedLevel is the PC_LOG_* level a logger is enabled for now (0: none, or no logger).
func wantedLevel(l *slog.Logger) uint32 {
	if l == nil {
		return 0
	}
	ctx := context.Background()
	for level := uint32(4); level >= 1; level-- {
		if l.Enabled(ctx, slogLevels[level]) {
			return level
		}
	}
	return 0
}

// processcredsGoLog is the C logger of every provider with a Logger (through
// processcreds_go_log, log_c.go): userData is the cgo.Handle of its *slog.Logger. Each event is a
// record whose message is the event's name, with the attribute "event" and the event's fields
// (program, status, duration_ms, ...) as string attributes.
//
//export processcredsGoLog
func processcredsGoLog(userData unsafe.Pointer, level C.uint32_t, event *C.char, message *C.char) {
	defer func() { _ = recover() }() // a panicking handler never unwinds into the library
	l, ok := cgo.Handle(uintptr(userData)).Value().(*slog.Logger)
	if !ok || l == nil || level < 1 || level > 4 {
		return
	}
	name := C.GoString(event)
	attrs := []slog.Attr{slog.String("event", name)}
	for _, f := range Fields(C.GoString(message)) {
		attrs = append(attrs, slog.String(f[0], f[1]))
	}
	l.LogAttrs(context.Background(), slogLevels[level], name, attrs...)
}

// Fields are the key=value fields of an event's message, in order (logfmt: quoted values
// unquoted as strconv.Unquote does).
func Fields(message string) [][2]string {
	var out [][2]string
	rest := strings.TrimLeft(message, " ")
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			break
		}
		key := rest[:eq]
		rest = rest[eq+1:]
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(rest) {
				end = len(rest) - 1
			}
			quoted := rest[:end+1]
			if v, err := strconv.Unquote(quoted); err == nil {
				value = v
			} else {
				value = strings.Trim(quoted, `"`)
			}
			rest = rest[end+1:]
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			value = rest[:end]
			rest = rest[end:]
		}
		out = append(out, [2]string{key, value})
		rest = strings.TrimLeft(rest, " ")
	}
	return out
}
