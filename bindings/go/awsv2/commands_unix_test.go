//go:build !windows

package awsv2_test

import "testing"

func tempDir(t testing.TB) string { return t.TempDir() }

// Helper commands for sh.
const (
	// countAndPrint(count file, output file): counts a run, prints the file.
	countAndPrint = "echo x >> '%s'; cat '%s'"
	oopsExit3     = "echo oops >&2; exit 3"
	sleepOne      = "sleep 1"
)
