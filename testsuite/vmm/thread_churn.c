/* vi: set sw=4 ts=4: */
/*
 * thread_churn: a process whose threads come and go, as QEMU's worker
 * threads do, for the tests of kvm_stat -p: every EVERY_MS (20) a thread
 * starts that lives LIFE_MS (100; ~5 alive at a time), for SECONDS
 * seconds. Prints "pid N" once started.
 *
 * Usage: thread_churn [SECONDS [EVERY_MS LIFE_MS]]
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int life_ms = 100;

static void *short_life(void *arg)
{
	(void)arg;
	usleep(life_ms * 1000);
	return NULL;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 10;
	int every_ms = argc > 3 ? atoi(argv[2]) : 20;
	time_t end = time(NULL) + seconds;
	pthread_attr_t attr;
	pthread_t t;

	if (argc > 3)
		life_ms = atoi(argv[3]);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	while (time(NULL) < end) {
		if (pthread_create(&t, &attr, short_life, NULL) != 0)
			return 1;
		usleep(every_ms * 1000);
	}
	return 0;
}
