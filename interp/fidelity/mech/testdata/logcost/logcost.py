"""logcost.py: what one logging.info call costs CPython, and where the
time goes, in the situations of the article's race (go run
./interp/fidelity -only race_log).

The model's workloads.Logger charges every call a flat
workloads.LogRecordCost (8 µs) of CPU under the GIL, seven eighths of it
before taking the handler's lock. CPython's cost is not flat: it depends
on what the thread did just before.

    python3 logcost.py

prints, in a fresh pool thread each time (as the race's threads are), the
median and quartiles over 300 threads of:

  - pre1, held1, post1: the thread's first call, from the call to the
    handler's acquire, while the lock is held, and from the release to the
    return;
  - gap12, gap23: from the release of the handler's lock in one call to
    the acquire in the next, the window in which a thread woken by the
    release can take the lock first;

once with a stream whose write returns at once and once with a write that
sleeps 0.1 ms (a slow log write, as in the race). Then, in one thread,
the median cost of a warm call against a call made right after
time.sleep(0.1 ms) or time.sleep(1 ms).

On the development VM (2 vCPUs, CPython 3.11.7, 2026-12-04; its speed
swings by up to 2x from one minute to the next, so run it a few times):
gap12 6.6-6.9 µs with fast writes, 11-21 µs after a 0.1 ms write; a warm
call 6.9 µs, 10.8-11.3 µs right after a 0.1 ms sleep, 13-45 µs after a
1 ms sleep. The acquire/release hooks of the phases add about a
microsecond to each of their figures.

Last, the first call after a sleep of 5 or 20 ms (the race's sleep in
go run ./interp/fidelity and in lesson 5), in a new thread that logged
twice before it slept, against the same in one long-lived thread. After a
reboot of the same VM (2026-12-05, three runs): medians 47-68 µs (5 ms)
and 120-126 µs (20 ms) in a new thread, 12-17 µs (5 ms) and 20-161 µs
(20 ms, unsteady) in the long-lived one. The model charges every call the
same 8 µs.
"""
import concurrent.futures
import logging
import statistics
import threading
import time

pc = time.perf_counter


class Stream:
    def __init__(self, delay):
        self.delay = delay

    def write(self, s):
        if self.delay:
            time.sleep(self.delay)

    def flush(self):
        pass


marks = []


class Handler(logging.StreamHandler):
    """Notes the time of each acquire and release of the handler's lock
    (an RLock: handle() takes it, and flush() again inside)."""

    def acquire(self):
        marks.append(pc())
        super().acquire()

    def release(self):
        super().release()
        marks.append(pc())


def logger(delay, hooks=True):
    log = logging.getLogger("logcost-%g-%s" % (delay, hooks))
    if log.handlers:  # made before: a second handler would double each call
        return log
    log.propagate = False
    log.setLevel(logging.INFO)
    h = (Handler if hooks else logging.StreamHandler)(Stream(delay))
    h.setFormatter(logging.Formatter("%(asctime)s:%(threadName)s:%(message)s", "%H:%M:%S"))
    log.addHandler(h)
    return log


def quartiles(xs):
    q = statistics.quantiles(xs, n=4)
    return "median %5.1f µs (quartiles %5.1f–%5.1f)" % (statistics.median(xs) * 1e6, q[0] * 1e6, q[2] * 1e6)


def phases(delay):
    log = logger(delay)
    res = {k: [] for k in ("pre1", "held1", "post1", "gap12", "gap23")}

    def run():
        marks.clear()
        t0 = pc()
        log.info("Update Started")
        t1 = pc()
        log.info("Sleeping")
        log.info("Reading Value From Db")
        m = marks[:]
        # per call: acquire (handle), acquire (flush), release (flush), release (handle)
        res["pre1"].append(m[0] - t0)
        res["held1"].append(m[3] - m[0])
        res["post1"].append(t1 - m[3])
        res["gap12"].append(m[4] - m[3])
        res["gap23"].append(m[8] - m[7])

    for _ in range(300):
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            ex.submit(run)
    print("log writes taking %g ms:" % (delay * 1e3))
    for k, v in res.items():
        print("  %-6s %s" % (k, quartiles(v)))


def after_block():
    log = logger(0, hooks=False)

    def cost(before):
        out = []
        for _ in range(300):
            before()
            t = pc()
            log.info("Sleeping")
            out.append(pc() - t)
        return quartiles(out)

    print("one call (no hooks):")
    print("  warm                   ", cost(lambda: None))
    print("  after time.sleep(0.1 ms)", cost(lambda: time.sleep(1e-4)))
    print("  after time.sleep(1 ms)  ", cost(lambda: time.sleep(1e-3)))


def after_sleep():
    log = logger(0, hooks=False)

    def body(out, d):
        log.info("Update Started")
        log.info("Sleeping")
        time.sleep(d)
        t = pc()
        log.info("Reading Value From Db")
        out.append(pc() - t)

    print("the first call after a sleep (no hooks):")
    for d in (5e-3, 20e-3):
        fresh, kept = [], []
        for _ in range(100):
            t = threading.Thread(target=body, args=(fresh, d))
            t.start()
            t.join()
        for _ in range(100):
            body(kept, d)
        print("  %2g ms, new thread each time" % (d * 1e3), quartiles(fresh))
        print("  %2g ms, one long-lived thread" % (d * 1e3), quartiles(kept))


if __name__ == "__main__":
    phases(0)
    phases(1e-4)
    t = threading.Thread(target=after_block)
    t.start()
    t.join()
    after_sleep()
