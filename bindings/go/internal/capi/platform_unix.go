//go:build !windows

package capi

import (
	"os/exec"
	"strings"
)

// shell is the program a command string runs through: `sh -c <command>`.
var shell = []string{"sh", "-c"}

// lookPath finds a program as os/exec.Command does: a name with a slash is used as it is.
func lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	return exec.LookPath(name)
}
