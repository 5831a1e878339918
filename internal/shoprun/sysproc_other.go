//go:build unix && !linux

package shoprun

import "syscall"

// SysProcAttr: a process group of its own, so a Ctrl-C in the terminal
// reaches only the parent, which stops the shop in order.
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
