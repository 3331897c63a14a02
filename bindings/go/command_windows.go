package processcreds

import (
	"strings"
	"syscall"

	"github.com/processcreds/processcreds/bindings/go/internal/capi"
)

// shellArgs runs an exec.Cmd's Args as aws-sdk-go v1 does on Windows, a command line of the
// arguments quoted by Go's rules (syscall.EscapeArg) given to cmd.exe, except that cmd.exe runs
// that line verbatim (`cmd.exe /d /s /c "<line>"`, D10) rather than through its quote heuristics.
func shellArgs(args []string) *capi.Provider {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = syscall.EscapeArg(a)
	}
	return capi.NewCommand(strings.Join(quoted, " "))
}
