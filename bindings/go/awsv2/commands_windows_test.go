package awsv2_test

// Helper commands for cmd.exe.
const (
	// countAndPrint(count file, output file): counts a run, prints the file.
	countAndPrint = `echo x>>"%s"& type "%s"`
	oopsExit3     = "echo oops>&2& exit 3"
	sleepOne      = "ping -n 2 127.0.0.1 >nul"
)
