//go:build !linux

package bench

import "os/exec"

// setParentDeathSignal does nothing outside Linux, which alone has a parent
// death signal. NOTE: there, an interrupted run can leave servers running.
func setParentDeathSignal(cmd *exec.Cmd) {}
