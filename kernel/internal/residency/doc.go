// Package residency gives back to the operating system the pages of a
// process's own executable that start-up read and that are unlikely to be
// read again.
//
// A Go program's resident set is mostly its binary: the runtime, and for
// the interpreter process the init code and the type data of yaegi's
// standard-library symbol tables (some 17 MiB of a 30 MiB binary touched
// once at start-up, against 5 MiB of heap). Those pages are clean copies of
// the file, so dropping them from the process (madvise MADV_DONTNEED) is
// safe: the page cache keeps them, and any page the process touches again
// is mapped back on a minor fault. Only the read-only mappings of the
// executable are dropped, never writable ones (their contents differ from
// the file).
package residency
