/* vi: set sw=4 ts=4: */
/*
 * -p PID (parse_pid): " 1000", "4242". It dies on a bad pid, which
 * comes back here through die_func.
 * Property: an accepted pid is the decimal number written (blanks
 * before it allowed, nothing after), at most INT_MAX.
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
		const char *p = skip_whitespace(s);
		unsigned long long v = 0;

		fuzz_assert(*p);
		for (; *p; p++) {
			fuzz_assert(*p >= '0' && *p <= '9');
			if (v <= INT_MAX)
				v = v * 10 + (*p - '0');
		}
		fuzz_assert(v == (unsigned long long)pid);
	}
	free(s);
	return 0;
}
