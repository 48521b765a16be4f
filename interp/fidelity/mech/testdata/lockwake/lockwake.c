/*
 * lockwake.c: the lock wake-up race of go run ./interp/fidelity -only
 * lock_wake, with plain C threads, to see what the kernel does without
 * CPython or Go in the way.
 *
 * A thread waits for a lock (a semaphore, as CPython's lock is); the main
 * thread sleeps 100 µs, releases it, works for a gap of 0, 5 or 20 µs and
 * tries to take it back. The program prints how often the woken waiter
 * took it first.
 *
 *   gcc -O2 -pthread -o lockwake lockwake.c
 *   ./lockwake          plain threads
 *   ./lockwake burn     the waiter spends 50 µs of CPU before it waits
 *   ./lockwake yield    the waiter calls sched_yield 3 times before it waits
 *   ./lockwake poller   one more thread sleeps 20 µs in a loop, as Go's
 *                       monitor thread (sysmon) polls at its fastest
 *
 * On the development VM (2 vCPUs), with one busy process beside it
 * (python3 -c 'while True: pass' &), plain threads gave 0.96-1.00 at every
 * gap, like CPython's 0.84-0.96; burn, yield and poller gave 0.00-0.03.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static sem_t lock, started;
static volatile int first; /* 1: the waiter took the lock first, 2: the releaser */
static const char *mode = "plain";

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static void spin(double seconds)
{
	double end = now() + seconds;
	while (now() < end)
		;
}

static void *waiter(void *arg)
{
	(void)arg;
	if (strcmp(mode, "burn") == 0)
		spin(50e-6);
	if (strcmp(mode, "yield") == 0)
		for (int i = 0; i < 3; i++)
			sched_yield();
	sem_post(&started);
	sem_wait(&lock);
	__sync_val_compare_and_swap(&first, 0, 1);
	sem_post(&lock);
	return NULL;
}

static void *poller(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 20000};
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	const double gaps[] = {0, 5e-6, 20e-6};
	const int runs = 200;
	if (argc > 1)
		mode = argv[1];
	if (strcmp(mode, "poller") == 0) {
		pthread_t p;
		pthread_create(&p, NULL, poller, NULL);
	}
	for (int g = 0; g < 3; g++) {
		int won = 0;
		for (int r = 0; r < runs; r++) {
			pthread_t t;
			sem_init(&lock, 0, 0); /* held by main */
			sem_init(&started, 0, 0);
			first = 0;
			pthread_create(&t, NULL, waiter, NULL);
			sem_wait(&started);
			struct timespec ts = {0, 100000};
			nanosleep(&ts, NULL); /* the waiter is blocked in sem_wait by now */
			sem_post(&lock);
			spin(gaps[g]);
			if (sem_trywait(&lock) == 0) {
				__sync_val_compare_and_swap(&first, 0, 2);
				sem_post(&lock);
			} else {
				sem_wait(&lock);
				sem_post(&lock);
			}
			pthread_join(t, NULL);
			won += first == 1;
		}
		printf("%s, gap %2.0f us: the waiter first in %.2f of %d releases\n", mode, gaps[g] * 1e6, (double)won / runs, runs);
	}
	return 0;
}
