package shoprun

import "syscall"

// SysProcAttr puts each process in its own process group (a Ctrl-C in the
// terminal reaches only the parent, which stops the shop in order) and asks
// the kernel to send it SIGTERM if the parent dies without stopping it.
// (Pdeathsig fires when the parent's creating thread exits; the Go runtime
// keeps threads alive unless a goroutine locked to one exits, which this
// package never does.)
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
