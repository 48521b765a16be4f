"""CPython side of package mech (interp/fidelity/mech, which embeds this file)
and of the fidelity benchmark (go run ./interp/fidelity).
Each experiment is a subcommand that prints one JSON object of timings in
seconds (or counts) on stdout; the Go program runs the same experiment
under its models and sets the two side by side. Standard library only.

    python3 experiments.py cpu2 '{"n": 1500000}'
"""
import asyncio
import concurrent.futures
import json
import logging
import os
import sys
import threading
import time
import urllib.request
from urllib.parse import urlsplit


# --- workloads (the articles' experiments, written for this benchmark) ---

def sum_squares(n):
    total = 0
    for i in range(n):
        total += i ** 2
    return total


def countdown(n):
    while n > 0:
        n -= 1


def is_prime(n):
    if n < 2:
        return False
    for i in range(2, int(n ** 0.5) + 1):
        if n % i == 0:
            return False
    return True


def count_primes(n):
    return sum(1 for x in range(2, n) if is_prime(x))


def fetch(url):
    with urllib.request.urlopen(url) as resp:
        return len(resp.read())


def clock():
    return time.perf_counter()


def in_threads(fns):
    ts = [threading.Thread(target=f) for f in fns]
    start = clock()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return clock() - start


def serially(fns):
    start = clock()
    for f in fns:
        f()
    return clock() - start


# --- experiments ---

def exp_time(p):
    """Time one call of a workload (to calibrate the Go side)."""
    f = {"sum_squares": sum_squares, "countdown": countdown, "count_primes": count_primes}[p["work"]]
    best = None
    for _ in range(p.get("repeat", 1)):
        start = clock()
        f(p["n"])
        el = clock() - start
        best = el if best is None else min(best, el)
    return {"seconds": best}


def warm_up():
    """Call each workload 8 times on a tiny input (before any experiment
    runs: each is a fresh process). CPython 3.11 runs a
    function's generic bytecode for its first 7 calls and specializes it
    (quickening) from the 8th: countdown(2_000_000) takes 37 ms on calls 1-7
    and 23 ms from call 8 on, here. Without this, a fresh process's serial
    run (calls 1-2) was slower than its threaded one and countdown's
    "2 threads / serial" read 0.83."""
    for _ in range(8):
        sum_squares(10)
        countdown(10)
        count_primes(10)


def serial_vs_threads(p, serial_fns, thread_fns, number=1):
    """The serial and threaded times of p['repeat'] rounds (the fastest of
    each), the order alternating with p['order'] and the
    round. Each time is the sum of `number` runs (timeit's number)."""
    def times(run, fns):
        return sum(run(fns) for _ in range(number))
    # One untimed serial run first: even after warm_up, the first timed run
    # of sum_squares(700_000) was often about 10 % slower than the rest
    # (cause not found); alternating the order keeps what is left of it
    # from leaning every pair the same way.
    serially(serial_fns)
    serial, threads = [], []
    for r in range(p.get("repeat", 1)):
        if (p.get("order", 0) + r) % 2 == 0:
            serial.append(times(serially, serial_fns))
            threads.append(times(in_threads, thread_fns))
        else:
            threads.append(times(in_threads, thread_fns))
            serial.append(times(serially, serial_fns))
    return {"serial": min(serial), "threads": min(threads)}


def exp_cpu2(p):
    """Two CPU-bound calls, one after the other vs in two threads."""
    f = {"sum_squares": sum_squares, "countdown": countdown}[p["work"]]
    n = p["n"]
    return serial_vs_threads(p, [lambda: f(n)] * 2, [lambda: f(n)] * 2)


def calibrate(f, target):
    """The n for which f(n) takes about target seconds (fastest of 3)."""
    n = 10000
    while True:
        el = min(serially([lambda: f(n)]) for _ in range(3))
        if el >= target / 4:
            return max(1, int(n * target / el))
        n *= 4


def exp_cpu_io(p):
    """A CPU-bound call and an HTTP request of the same length (p['target']
    seconds, the CPU work calibrated just before), serially vs in two threads."""
    url = p["url"]
    n = calibrate(sum_squares, p["target"])
    out = serial_vs_threads(p, [lambda: sum_squares(n), lambda: fetch(url)],
                            [lambda: fetch(url), lambda: sum_squares(n)])
    out["n"] = n
    return out


def exp_primes4(p):
    """count_primes(N) four times: serially vs in four threads (timeit number=3)."""
    n, number = p["n"], p.get("number", 3)
    four = [lambda: count_primes(n)] * 4
    return serial_vs_threads(p, four, four, number)


def exp_convoy(p):
    """An I/O thread (1 ms waits) next to a CPU-bound thread: how late does
    it get the GIL back after each wait, for each switch interval?"""
    out = {}
    for interval in p["intervals"]:
        sys.setswitchinterval(interval)
        stop = threading.Event()

        def spin():
            while not stop.is_set():
                pass

        lat = []

        def io():
            for _ in range(p["waits"]):
                start = clock()
                time.sleep(p["wait"])
                lat.append(clock() - start - p["wait"])
            stop.set()

        in_threads([spin, io])
        lat.sort()
        out[str(interval)] = {"mean": sum(lat) / len(lat), "median": lat[len(lat) // 2], "all": lat}
    sys.setswitchinterval(0.005)
    # the same waits with no CPU thread, for the cost of the sleep itself
    lat = []
    for _ in range(p["waits"]):
        start = clock()
        time.sleep(p["wait"])
        lat.append(clock() - start - p["wait"])
    out["alone"] = {"mean": sum(lat) / len(lat)}
    return out


def setup_log():
    logging.basicConfig(format="%(asctime)s:%(threadName)s:%(message)s", datefmt="%H:%M:%S",
                        level=logging.INFO, stream=sys.stderr, force=True)


def delay_message(name, delay):
    logging.info("%s received", name)
    time.sleep(delay)
    logging.info("Printing %s", name)


async def async_delay_message(name, delay, blocking=False):
    logging.info("%s received", name)
    if blocking:
        time.sleep(delay)
    else:
        await asyncio.sleep(delay)
    logging.info("Printing %s", name)


def exp_delay(p):
    """The delay_message experiments of 'AsyncIO, Threading, and
    Multiprocessing in Python', with every delay scaled by p['unit']."""
    setup_log()
    u = p["unit"]
    out = {}
    out["sync"] = serially([lambda: delay_message("TWO", 2 * u), lambda: delay_message("THREE", 3 * u)])
    out["threads"] = in_threads([lambda: delay_message("TWO", 2 * u), lambda: delay_message("THREE", 3 * u)])
    start = clock()
    with concurrent.futures.ThreadPoolExecutor() as ex:
        fs = [ex.submit(delay_message, "TWO", 2 * u), ex.submit(delay_message, "THREE", 3 * u)]
        for f in fs:
            f.result()
    out["pool"] = clock() - start

    async def tasks():
        a = asyncio.create_task(async_delay_message("TWO", 2 * u))
        b = asyncio.create_task(async_delay_message("THREE", 3 * u))
        await a
        await b

    start = clock()
    asyncio.run(tasks())
    out["tasks"] = clock() - start
    names = ["ONE", "TWO", "THREE", "FOUR", "FIVE"]

    async def gather(blocking):
        await asyncio.gather(*[async_delay_message(nm, (i + 1) * u, blocking and nm == "THREE")
                               for i, nm in enumerate(names)])

    start = clock()
    asyncio.run(gather(False))
    out["gather"] = clock() - start
    start = clock()
    asyncio.run(gather(True))
    out["stalled"] = clock() - start
    return out


def exp_http(p):
    """Four requests to /delay/{d}: serially, in four threads, as four asyncio tasks."""
    url = p["url"]
    out = {"serial": serially([lambda: fetch(url)] * 4), "threads": in_threads([lambda: fetch(url)] * 4)}

    async def get(u):
        parts = urlsplit(u)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        writer.write(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        body = await reader.read()
        writer.close()
        await writer.wait_closed()
        return len(body)

    async def main():
        await asyncio.gather(*[get(url) for _ in range(4)])

    start = clock()
    asyncio.run(main())
    out["tasks"] = clock() - start
    return out


counter = 0


def tick():
    pass


def increment(n, between):
    global counter
    for _ in range(n):
        v = counter
        if between:
            tick()
        counter = v + 1


def exp_race(p):
    """Lost updates: read-sleep-write in two threads with and without a lock
    and in two asyncio tasks; increments with and without a call between the
    read and the write."""
    global counter
    db = {"value": 0}
    lock = threading.Lock()

    def update(use_lock):
        def body():
            v = db["value"]
            time.sleep(p["pause"])
            db["value"] = v + 1
        if use_lock:
            with lock:
                body()
        else:
            body()

    out = {}
    for use_lock in (False, True):
        db["value"] = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            for _ in range(2):
                ex.submit(update, use_lock)
        out["threads_lock" if use_lock else "threads"] = db["value"]

    async def aupdate():
        v = db["value"]
        await asyncio.sleep(p["pause"])
        db["value"] = v + 1

    async def amain():
        await asyncio.gather(aupdate(), aupdate())

    db["value"] = 0
    asyncio.run(amain())
    out["tasks"] = db["value"]
    n = p["n"]
    for between in (False, True):
        counter = 0
        out["time_call" if between else "time_plain"] = serially([lambda: increment(n, between)])
        counter = 0
        in_threads([lambda: increment(n, between)] * 2)
        out["lost_call" if between else "lost_plain"] = 2 * n - counter
    return out


def _noop():
    pass


def exp_processes2(p):
    """Two CPU-bound calls one after the other vs in two processes, and what
    starting and joining a process costs (fastest of repeat)."""
    import multiprocessing
    n = p["n"]
    serial, parallel, startup = [], [], []
    for _ in range(p.get("repeat", 1)):
        serial.append(serially([lambda: sum_squares(n)] * 2))
        start = clock()
        procs = [multiprocessing.Process(target=sum_squares, args=(n,)) for _ in range(2)]
        for pr in procs:
            pr.start()
        for pr in procs:
            pr.join()
        parallel.append(clock() - start)
        start = clock()
        pr = multiprocessing.Process(target=_noop)
        pr.start()
        pr.join()
        startup.append(clock() - start)
    return {"serial": min(serial), "parallel": min(parallel), "startup": min(startup)}


def slices(interval, duration):
    """Two CPU-bound threads for about duration seconds: how long each holds
    the GIL before the other takes it (the time slices), in seconds."""
    sys.setswitchinterval(interval)
    state = {"owner": None}
    stamps = []
    end = clock() + duration

    def spin(me):
        while True:
            if state["owner"] is not me:
                now = clock()
                stamps.append(now)
                state["owner"] = me
                if now > end:
                    return

    in_threads([lambda: spin(1), lambda: spin(2)])
    sys.setswitchinterval(0.005)
    return [b - a for a, b in zip(stamps, stamps[1:])]


def median(xs):
    ys = sorted(xs)
    return ys[len(ys) // 2] if ys else float("nan")


def exp_slices(p):
    """The time slices of two CPU-bound threads, per switch interval."""
    return {str(iv): slices(iv, p["duration"]) for iv in p["intervals"]}


class SlowStream:
    """A log stream whose writes take delay seconds (a blocking call): every
    write, or with match only those of lines containing it. It keeps the
    lines written, to see in which order the threads logged."""

    def __init__(self, delay, match=None):
        self.delay = delay
        self.match = match
        self.lines = []

    def write(self, s):
        if s.strip():
            self.lines.append(s)
        if self.delay > 0 and (self.match is None or self.match in s):
            time.sleep(self.delay)

    def flush(self):
        pass


def exp_race_log(p):
    """The article's update() (sleep, then read, log, write) in two pool
    threads, p['runs'] times, with p['write'] seconds spent where p['slow']
    says (0: a fast stream): in every log write ("every", the default), in
    the "Updating Value" write only ("update"), or in a time.sleep after
    that line, outside logging ("after"). How many runs end with 1
    instead of 2."""
    log = logging.getLogger("race_log")
    log.propagate = False
    log.setLevel(logging.INFO)
    # write 0: the program as written, logging to a fast stream (each line
    # still a write() that releases the GIL, as the lesson's does)
    slow = p.get("slow", "every")
    if p["write"] <= 0:
        stream = open(os.devnull, "w", buffering=1)
    elif slow == "every":
        stream = SlowStream(p["write"])
    elif slow == "update":
        stream = SlowStream(p["write"], "Updating Value")
    elif slow == "after":
        stream = SlowStream(0)
    else:
        raise ValueError(f"race_log: slow {slow!r}: every, update or after")
    after = p["write"] if slow == "after" else 0
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s:%(threadName)s:%(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    db = {"value": 0}
    lock = threading.Lock() if p.get("lock") else None

    def update():
        log.info("Update Started")
        log.info("Sleeping")
        time.sleep(p["sleep"])
        if lock:
            lock.acquire()
        log.info("Reading Value From Db")
        v = db["value"]
        log.info("Updating Value")
        if after:
            time.sleep(after)
        db["value"] = v + 1
        if lock:
            lock.release()
        log.info("Update Finished")

    lost = 0
    # runs where the second thread's first line came before the first
    # thread's second one: it took the handler's lock, on its release after
    # the first line, before the first thread asked for it again
    cut_in = 0
    for _ in range(p["runs"]):
        db["value"] = 0
        if p["write"] > 0:
            stream.lines.clear()
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            for _ in range(2):
                ex.submit(update)
        lost += db["value"] != 2
        if p["write"] > 0 and len(stream.lines) >= 2:
            # "%H:%M:%S:thread:message": the thread is the fourth field
            cut_in += stream.lines[0].split(":")[3] != stream.lines[1].split(":")[3]
    return {"lost": lost, "runs": p["runs"], "cut_in": cut_in if p["write"] > 0 else None}


def sched_getcpu():
    """The CPU the calling thread runs on (glibc's sched_getcpu), or None
    where it cannot be asked."""
    global _getcpu
    if _getcpu is None:
        try:
            import ctypes

            f = ctypes.CDLL(None).sched_getcpu
            f.restype = ctypes.c_int
            _getcpu = f
        except (OSError, AttributeError):
            _getcpu = False
    return _getcpu() if _getcpu else None


_getcpu = None


def exp_lock_wake(p):
    """Who takes a lock first after a release: the thread that was waiting
    for it (woken by the release) or the releaser, trying again after
    p['gaps_us'] microseconds of work? p['runs'] releases per gap. Also how
    many times the two threads ran on one CPU, asked only once the race is
    decided (after the waiter's acquire and the releaser's retry), so that
    asking does not delay either side."""
    wins, together = [], []
    for gap in p["gaps_us"]:
        won = same = 0
        for _ in range(p["runs"]):
            lock = threading.Lock()
            lock.acquire()
            first = []
            started = threading.Event()
            cpus = {}

            def waiter():
                started.set()
                lock.acquire()
                cpus["waiter"] = sched_getcpu()
                first.append("waiter")
                lock.release()

            t = threading.Thread(target=waiter)
            t.start()
            started.wait()
            time.sleep(p["wait"])  # the waiter is blocked in acquire() by now
            lock.release()
            end = clock() + gap / 1e6
            while clock() < end:
                pass
            if lock.acquire(blocking=False):
                cpus["releaser"] = sched_getcpu()
                first.append("releaser")
                lock.release()
            else:
                cpus["releaser"] = sched_getcpu()
                lock.acquire()
                lock.release()
            t.join()
            won += first[0] == "waiter"
            same += cpus["releaser"] is not None and cpus["releaser"] == cpus["waiter"]
        wins.append(won)
        together.append(same if sched_getcpu() is not None else None)
    return {"wins": wins, "together": together, "runs": p["runs"]}


def exp_handover(p):
    """Two threads hand control back and forth through two Events, p['n']
    round trips: the median round trip of p['batches'] batches (seconds)."""
    out = []
    for _ in range(p["batches"]):
        n = p["n"]
        ping, pong = threading.Event(), threading.Event()

        def ponger():
            for _ in range(n):
                ping.wait()
                ping.clear()
                pong.set()

        t = threading.Thread(target=ponger)
        t.start()
        start = clock()
        for _ in range(n):
            ping.set()
            pong.wait()
            pong.clear()
        out.append((clock() - start) / n)
        t.join()
    out.sort()
    return {"round_trip": out[len(out) // 2]}


def exp_io_slowdown(p):
    """GET url p['n'] times alone and p['n'] times next to a CPU-bound
    thread: the median of each (seconds). CPython releases the GIL at each
    blocking call of the request and waits for it after each."""
    url = p["url"]
    sys.setswitchinterval(p.get("interval", 0.005))

    def times():
        out = []
        for _ in range(p["n"]):
            start = clock()
            fetch(url)
            out.append(clock() - start)
        return out

    alone = times()
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            pass

    t = threading.Thread(target=spin)
    t.start()
    try:
        busy = times()
    finally:
        stop.set()
        t.join()
    sys.setswitchinterval(0.005)
    return {"alone": median(alone), "busy": median(busy)}


def square(x):
    return x * x


def _modules(q):
    q.put(len(sys.modules))


def exp_start_methods(p):
    """Start and join a process doing nothing with each start method, p['k']
    times: the first start, the median of the others, and how many modules
    the child has loaded (what spawn re-imports; fork and forkserver copy
    a parent's memory instead)."""
    import multiprocessing as mp
    import resource
    out = {"parent_modules": len(sys.modules),
           "parent_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    for method in p["methods"]:
        ctx = mp.get_context(method)
        ts = []
        for _ in range(p["k"]):
            start = clock()
            pr = ctx.Process(target=_noop)
            pr.start()
            pr.join()
            ts.append(clock() - start)
        q = ctx.Queue()
        pr = ctx.Process(target=_modules, args=(q,))
        pr.start()
        mods = q.get()
        pr.join()
        out[method] = {"first": ts[0], "median": median(ts[1:] or ts), "modules": mods}
    return out


def exp_pool_tiny(p):
    """The article's Pool(5).map(square, range(10)), pool start-up and
    shutdown included, against the same ten calls in a loop."""
    import multiprocessing as mp
    serial, pooled, mapped = [], [], []
    for _ in range(p.get("repeat", 3)):
        start = clock()
        [square(x) for x in range(10)]
        serial.append(clock() - start)
        start = clock()
        with mp.Pool(5) as pool:
            pool.map(square, range(10))
        pooled.append(clock() - start)
        # The map alone: on a pool whose five workers have each run a
        # task already (right after Pool(5) some may still be starting).
        with mp.Pool(5) as pool:
            pool.map(square, range(5), chunksize=1)
            for _ in range(5):  # a map takes about a millisecond: several, for the median
                m0 = clock()
                pool.map(square, range(10))
                mapped.append(clock() - m0)
    return {"serial": median(serial), "pool": median(pooled), "map": median(mapped), "map_min": min(mapped)}


def exp_pool_breakeven(p):
    """Tasks of each duration (p['durations'], seconds of CPU work each),
    p['tasks'] of them: in a loop vs mapped on a Pool(p['workers']) that is
    already started. Times per duration."""
    import multiprocessing as mp
    m = 200000
    per_step = min(serially([lambda: sum_squares(m)]) for _ in range(3)) / m
    out = {}
    with mp.Pool(p["workers"]) as pool:
        pool.map(square, range(p["workers"]))  # the workers are up
        for d in p["durations"]:
            n = max(1, int(d / per_step))
            # The pool is fresh (each size runs in a new process, right
            # before the model's): its first maps are slower than the
            # steady ones the model's pool, started once, shows. Two maps
            # of the size first, untimed.
            for _ in range(2):
                pool.map(sum_squares, [n] * p["tasks"], chunksize=1)
            ser, par = [], []
            for _ in range(p.get("repeat", 3)):
                start = clock()
                [sum_squares(n) for _ in range(p["tasks"])]
                ser.append(clock() - start)
                start = clock()
                pool.map(sum_squares, [n] * p["tasks"], chunksize=1)
                par.append(clock() - start)
            out[str(d)] = {"serial": median(ser), "pool": median(par)}
    return {"per_step": per_step, "sizes": out}


def exp_per_step(p):
    """Seconds per loop step of sum_squares (to size tasks by duration)."""
    n = p.get("n", 200000)
    best = min(serially([lambda: sum_squares(n)]) for _ in range(3))
    return {"per_step": best / n}


def exp_shipping(p):
    """Sum a list of p['n'] ints: in this process vs in two pool processes
    that each receive half (pickled, piped), pool already started."""
    import multiprocessing as mp
    data = list(range(p["n"]))
    half = len(data) // 2
    ser, par = [], []
    with mp.Pool(2) as pool:
        pool.map(square, range(2))
        for _ in range(p.get("repeat", 3)):
            start = clock()
            sum(data)
            ser.append(clock() - start)
            start = clock()
            sum(pool.map(sum, [data[:half], data[half:]]))
            par.append(clock() - start)
    return {"serial": median(ser), "pool": median(par)}


if __name__ == "__main__":
    name, params = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    warm_up()
    print(json.dumps(globals()["exp_" + name](params)))
