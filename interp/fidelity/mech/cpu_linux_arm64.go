package mech

import "syscall"

const sysGetcpu = syscall.SYS_GETCPU
