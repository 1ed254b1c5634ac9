//go:build !linux

package testsvc

import "os/exec"

// killWithParent is a no-op outside Linux: t.Cleanup alone stops the child.
func killWithParent(*exec.Cmd) {}

// runAs is a no-op outside Linux, where the database servers run as the current user.
func runAs(*exec.Cmd, int, int) {}
