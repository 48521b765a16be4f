package mech

const sysGetcpu = 309 // the syscall package has no SYS_GETCPU on amd64
