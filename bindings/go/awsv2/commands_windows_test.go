package awsv2_test

import (
	"os"
	"testing"
)

// Helper commands for cmd.exe. The paths are left unquoted (the temporary folder has no space),
// so that aws-sdk-go-v2's own provider, whose exec.Command escapes quotes in a way cmd.exe does
// not read, runs them too.
const (
	// countAndPrint(count file, output file): counts a run, prints the file.
	countAndPrint = "echo x>>%s& type %s"
	oopsExit3     = "echo oops>&2& exit 3"
	sleepOne      = "ping -n 2 127.0.0.1 >nul"
)

// tempDir is t.TempDir, except that its removal is best effort: under Wine 8, os.RemoveAll of
// Go 1.23 and later fails ("Invalid function", the POSIX delete semantics it asks for are not
// implemented).
func tempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "pc-awsv2-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
