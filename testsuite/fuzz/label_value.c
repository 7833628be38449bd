/* vi: set sw=4 ts=4: */
/*
 * A Prometheus label value (label_value: guest, event and field names
 * for -O).
 * Property: the output is exactly what an independent decoder expects:
 * each well-formed UTF-8 character of the input as it is ('\\', '"'
 * and '\n' escaped), each other byte as U+FFFD. The decoder here goes by
 * code points (the applet by Unicode's table of byte ranges): a lead
 * byte gives the length, the continuation bytes the value, and the value
 * must need that length and be a scalar value (no surrogate, nothing
 * past U+10FFFF).
 */
#include "fuzz.h"
#include "kvm_stat_textfile.c"

/* The length of the well-formed character at S (N bytes left), or 0 */
static size_t decode(const uint8_t *s, size_t n)
{
	static const uint32_t shortest[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < shortest[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *out, *want, *w;
	size_t n, i, len;

	fuzz_init();
	in = fuzz_str(data, size, 4096);	/* the names are C strings */
	n = strlen(in);
	out = label_value(in, n);
	want = w = xmalloc(n * 3 + 1);
	for (i = 0; i < n; i += len) {
		const uint8_t *s = (const uint8_t *)in + i;

		len = decode(s, n - i);
		if (len == 0) {
			memcpy(w, "\xef\xbf\xbd", 3);
			w += 3;
			len = 1;
		} else if (*s == '\\' || *s == '"' || *s == '\n') {
			*w++ = '\\';
			*w++ = *s == '\n' ? 'n' : *s;
		} else {
			memcpy(w, s, len);
			w += len;
		}
	}
	*w = '\0';
	fuzz_assert(strcmp(out, want) == 0);
	free(in);
	free(out);
	free(want);
	return 0;
}
