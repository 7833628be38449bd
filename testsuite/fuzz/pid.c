/* vi: set sw=4 ts=4: */
/*
 * -p PID (parse_pid): " 1000", "+4242", "1_000". It dies on a bad pid,
 * which comes back here through die_func.
 * Property: an accepted pid is the decimal number written in Python's
 * int() syntax (blanks around, a sign, '_' between digits), 0 to INT_MAX.
 */
#include "fuzz.h"
#include "kvm_stat.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = NULL;
	volatile int pid = -1;

	fuzz_init();
	s = fuzz_str(data, size, 64);
	if (setjmp(fuzz_jmp) == 0)
		pid = parse_pid(s);
	if (pid >= 0) {
		char buf[65];
		const char *p = buf;
		unsigned long long v = 0;

		fuzz_assert(py_number(s, buf, 0));
		if (*p == '+' || *p == '-')
			p++;
		fuzz_assert(*p);
		for (; *p; p++) {
			fuzz_assert(*p >= '0' && *p <= '9');
			if (v <= INT_MAX)
				v = v * 10 + (*p - '0');
		}
		fuzz_assert(v == (unsigned long long)pid);
		fuzz_assert(buf[0] != '-' || pid == 0);
	}
	free(s);
	return 0;
}
