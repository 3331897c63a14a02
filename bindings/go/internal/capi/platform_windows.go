package capi

import (
	"os/exec"
	"path/filepath"
)

// shell is the program a command string runs through: `cmd.exe /d /s /c "<command>"`.
var shell = []string{"cmd.exe", "/d", "/s", "/c"}

// lookPath finds a program as os/exec.Command does: a bare name is looked up on %PATH%, a path
// is used as it is.
func lookPath(name string) (string, error) {
	if filepath.Base(name) != name {
		return name, nil
	}
	return exec.LookPath(name)
}
