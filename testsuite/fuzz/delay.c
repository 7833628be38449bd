/* vi: set sw=4 ts=4: */
/*
 * -s SEC and the TUI's 's' prompt (check_delay): "0.1", "3", "1e1", "1_0".
 * Properties: only Python's float() syntax is accepted, never NaN; an
 * accepted delay is within 0.1..25.5 s and its milliseconds too; a
 * refused one has a message that fits.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[80], *s, buf[257];
	const char *err;
	unsigned ms = 0;

	fuzz_init();
	s = fuzz_str(data, size, 256);
	err = check_delay(s, &ms, msg, sizeof(msg));
	if (!err) {
		double d;

		fuzz_assert(py_number(s, buf, 1));
		d = strtod(buf, NULL);

		fuzz_assert(d == d);
		fuzz_assert(d >= 0.1 && d <= 25.5);
		fuzz_assert(ms >= 100 && ms <= 25500);
	} else {
		fuzz_assert(err == msg && strlen(msg) < sizeof(msg));
	}
	free(s);
	return 0;
}
