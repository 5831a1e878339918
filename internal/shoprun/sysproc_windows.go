package shoprun

import "syscall"

// SysProcAttr: nothing special on Windows (the shop is meant for Unix).
func SysProcAttr() *syscall.SysProcAttr { return nil }
