package main

import (
	"time"

	"github.com/gokernel/gokernel/interp/fidelity/mech"
)

// The experiments package mech runs (it interleaves CPython and the model
// itself); -quick makes them smaller.

func slices(e *env) ([]row, error) {
	o := mech.SliceOptions{Rounds: 6, Duration: 150 * time.Millisecond}
	if e.quick {
		o.Rounds, o.Duration = 2, 100*time.Millisecond
	}
	return fromMech("GIL slices", mech.Slices(o))
}

func convoy(e *env) ([]row, error) {
	o := mech.ConvoyOptions{Rounds: 3}
	if e.quick {
		o.Rounds, o.Waits = 2, 30
	}
	return fromMech("convoy", mech.Convoy(o))
}

func ioSlowdown(e *env) ([]row, error) {
	o := mech.IOOptions{Rounds: 3, Requests: 15}
	if e.quick {
		o.Rounds, o.Requests = 2, 8
	}
	return fromMech("I/O + CPU thread", mech.IOSlowdown(e.url, o))
}

func raceLog(e *env) ([]row, error) {
	o := mech.RaceOptions{Rounds: 3}
	if e.quick {
		o.Rounds = 2
	}
	return fromMech("article's race", mech.RaceLoss(o))
}

// raceUpdateLine is the race with only the "Updating Value" write slow:
// the window between the read and the write opens inside logging's
// handler, through the lock wake-up race.
func raceUpdateLine(e *env) ([]row, error) {
	o := mech.RaceOptions{Rounds: 3, Slow: mech.UpdateLine}
	if e.quick {
		o.Rounds = 2
	}
	return fromMech("race, slow update line", mech.RaceLoss(o))
}

// raceAfter is the race as lesson 5 counts it with a slow write: blocking
// I/O after the "Updating Value" line, outside logging.
func raceAfter(e *env) ([]row, error) {
	o := mech.RaceOptions{Rounds: 3, Slow: mech.AfterUpdateLine}
	if e.quick {
		o.Rounds = 2
	}
	return fromMech("race, I/O after line", mech.RaceLoss(o))
}

// raceFast is the race as the lesson runs it: the article's program with a
// 20 ms sleep and fast log writes, which CPython rarely loses. A model
// thread that stalls after a long sleep (see futex.Refresh) loses it
// several times as often.
func raceFast(e *env) ([]row, error) {
	o := mech.RaceOptions{Rounds: 3, Sleep: 20 * time.Millisecond, WriteDelay: -1}
	if e.quick {
		o.Rounds = 2
	}
	return fromMech("race as written", mech.RaceLoss(o))
}

// handover measures how fast two threads hand control over through Events.
func handover(e *env) ([]row, error) {
	o := mech.HandoverOptions{}
	if e.quick {
		o.N, o.Rounds = 300, 2
	}
	return fromMech("hand-over", mech.Handover(o))
}

// lockWake measures the race behind the article's race's loss rate: a
// lock's woken waiter against its releaser coming back for it.
func lockWake(e *env) ([]row, error) {
	o := mech.LockWakeOptions{}
	if e.quick {
		o.Runs, o.Rounds = 30, 2
	}
	return fromMech("lock wake-up", mech.LockWake(o))
}

func startMethods(e *env) ([]row, error) {
	return fromMech("start methods", mech.StartMethods(mech.StartOptions{}))
}

func poolTiny(e *env) ([]row, error) {
	return fromMech("Pool(5).map(square)", mech.PoolTiny(mech.PoolOptions{}))
}

func breakeven(e *env) ([]row, error) {
	return fromMech("pool break-even", mech.Breakeven(mech.BreakevenOptions{Repeat: 7}))
}

func shipping(e *env) ([]row, error) {
	return fromMech("shipping data", mech.Shipping(mech.ShippingOptions{}))
}
