#!/usr/bin/env python3
"""A dragged slider, measured: a burst of 100 widget updates to an Interact.

    python kernel/benchmarks/widgetbench.py [--kernel gokernel] [--work-ms 0 20 100]

For each cost of the interacted function (it sleeps work-ms, then prints the
slider's value), sends 100 comm_msg updates of an IntSlider as fast as the
client can, as a frontend does while the slider is dragged, and prints:
the time to send the burst, the time from the last update to the output of
the run that shows the last value, and how many runs were started for the
burst (not counting the first run, when the cell made the widget). Without
coalescing there would be 100 runs and the last output would come 100 runs
late. This is a script, not a test: timings on a shared machine are noisy.
"""
import argparse
import time

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60


def run(kc, work_ms, updates):
    code = """
n := widgets.NewIntSlider("n", 0, 1000, 0)
it := widgets.NewInteractive(func() {
	time.Sleep(%d * time.Millisecond)
	fmt.Println("n =", n.Value())
}, n)
it""" % work_ms
    msg_id = kc.execute(code)
    cid = None
    while True:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "comm_open" and m["content"]["data"]["state"]["_model_name"] == "IntSliderModel":
            cid = m["content"]["comm_id"]
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    t0 = time.perf_counter()
    for v in range(1, updates + 1):
        msg = kc.session.msg("comm_msg", {"comm_id": cid, "data": {"method": "update", "state": {"value": v}, "buffer_paths": []}})
        kc.shell_channel.send(msg)
    t_last = time.perf_counter()
    want = "n = %d" % updates
    while True:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["msg_type"] == "stream" and want in m["content"]["text"]:
            t_out = time.perf_counter()
            break
    msg_id = kc.execute("it.Wait(30 * time.Second)\nit.Runs()")
    runs = None
    while runs is None:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_result":
            runs = int(m["content"]["data"]["text/plain"]) - 1
    return (t_last - t0) * 1e3, (t_out - t_last) * 1e3, runs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="gokernel")
    ap.add_argument("--work-ms", type=int, nargs="+", default=[0, 20, 100])
    ap.add_argument("--updates", type=int, default=100)
    a = ap.parse_args()
    km, kc = start_new_kernel(kernel_name=a.kernel, startup_timeout=TIMEOUT)
    try:
        print("burst of %d slider updates to an Interact (kernel %s)" % (a.updates, a.kernel))
        print("%8s  %12s  %22s  %14s" % ("work", "send burst", "last update -> output", "runs started"))
        for w in a.work_ms:
            send, lag, runs = run(kc, w, a.updates)
            print("%6d ms  %9.1f ms  %19.1f ms  %14d" % (w, send, lag, runs))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
