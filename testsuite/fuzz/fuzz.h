/* vi: set sw=4 ts=4: */
/*
 * Shared by the libFuzzer harnesses of testsuite/fuzz/. A harness
 * #includes the applet file that holds its (static) parser after this
 * header; everything else comes from build/fuzz/libapplet.a, the applet
 * and compat/ built with the sanitizers (libbb's main() renamed away:
 * libFuzzer has its own). The archive member of the included file is
 * never pulled in, as the harness defines all of its symbols.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat_common.h"
#include <setjmp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The applet's fatal errors come back here (die_func) instead of
 * exiting: libFuzzer takes an exit for a crash */
static jmp_buf fuzz_jmp;

static void fuzz_die(void)
{
	longjmp(fuzz_jmp, 1);
}

/*
 * Zeroed globals, G.root "" as without KVM_STAT_ROOT, before the first
 * input, in a function of its own: ptr_to_globals is declared const, so
 * clang may take a load of it in the function that sets it for one made
 * before the store.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc UNUSED_PARAM, char ***argv UNUSED_PARAM)
{
	struct globals *g = xzalloc(sizeof(*g));

	g->root = "";
	SET_PTR_TO_GLOBALS(g);
	return 0;
}

static void fuzz_init(void)
{
	die_func = fuzz_die;
}

/* DATA as a C string, as the parsers get their text: at most MAX bytes,
 * up to the first NUL. Freed by the caller. */
static char *fuzz_str(const uint8_t *data, size_t size, size_t max)
{
	char *s = xmalloc((size < max ? size : max) + 1);

	memcpy(s, data, size < max ? size : max);
	s[size < max ? size : max] = '\0';
	return s;
}

/* A private directory for the files a parser reads (run.sh points
 * TMPDIR into the build tree and removes it afterwards) */
static const char *fuzz_dir(void)
{
	static char *dir;

	if (!dir) {
		dir = xasprintf("%s/fuzz.XXXXXX", getenv("TMPDIR") ?: "/tmp");
		if (!mkdtemp(dir))
			bb_simple_perror_msg_and_die("mkdtemp");
	}
	return dir;
}

/* DIR/NAME holding DATA, written whole; parent directories made */
static void fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	char *path = xasprintf("%s/%s", fuzz_dir(), name);
	char *slash = path + strlen(fuzz_dir());
	int fd;

	while ((slash = strchr(slash + 1, '/')) != NULL) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || full_write(fd, data, size) != (ssize_t)size)
		bb_simple_perror_msg_and_die(path);
	close(fd);
	free(path);
}

/* A property the parser broke: abort() makes libFuzzer save the input */
#define fuzz_assert(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz: %s:%d: property failed: %s\n", \
			__FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)
