package testsvc

import (
	"os/exec"
	"syscall"
)

// killWithParent makes the kernel kill the child if the test binary dies before its cleanups run
// (a panic, a -timeout, a SIGKILL).
func killWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
