package bench

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes Linux send SIGTERM to the child when the
// harness dies, so that no server outlives an interrupted run.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
