//go:build !windows

// Package testproc holds what the asynchronous tests of the binding and of awsv2 share: a slow
// helper that reports its process tree, and waits for those processes to die. Only tests import
// it.
package testproc

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sleeper writes a helper that counts its runs in dir/runs, writes its pid (a process group
// leader's: the tests run without a terminal) to dir/pid and a `sleep` child's to dir/child,
// sleeps secs, then prints credentials with the access key keyID. It returns the helper's path
// and its directory.
func Sleeper(t testing.TB, secs, keyID string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "helper.sh")
	body := fmt.Sprintf(`#!/bin/sh
d='%s'
echo x >> "$d/runs"
echo $$ > "$d/pid.tmp"; mv "$d/pid.tmp" "$d/pid"
sleep 120 & echo $! > "$d/child.tmp"; mv "$d/child.tmp" "$d/child"
sleep %s
kill $! 2>/dev/null
printf '%%s' '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"s"}'
`, dir, secs, keyID)
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// PidIn waits (bounded) for a pid written by the helper to file.
func PidIn(t testing.TB, file string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(file); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				return pid
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no pid in %s", file)
	return 0
}

// Dead reports whether the process is gone or a zombie.
func Dead(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) == 0 || f[0] == "Z" || f[0] == "X"
}

// DeadWithin waits for every process of pids to die, failing the test when one is still alive
// bound after since.
func DeadWithin(t testing.TB, since time.Time, bound time.Duration, pids ...int) {
	t.Helper()
	for _, pid := range pids {
		for !Dead(pid) {
			if time.Since(since) > bound {
				t.Fatalf("process %d alive %v after the context ended", pid, time.Since(since))
			}
			time.Sleep(time.Millisecond)
		}
	}
}
