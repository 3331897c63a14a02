//go:build !windows

package processcreds

import "github.com/processcreds/processcreds/bindings/go/internal/capi"

// shellArgs runs an exec.Cmd's Args as aws-sdk-go v1 does: `sh -c Args[0] Args[1:]...`.
func shellArgs(args []string) *capi.Provider {
	return capi.NewArgv(append([]string{"sh", "-c"}, args...))
}
