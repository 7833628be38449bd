/* vi: set sw=4 ts=4: */
/*
 * The small subset of BusyBox's libbb that kvm_stat uses, for the
 * standalone build. Same names, signatures and behaviour as libbb, so the
 * applet's sources build unchanged in a BusyBox tree.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#ifndef LIBBB_H
#define LIBBB_H 1

#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include "autoconf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#define FAST_FUNC
#define NORETURN __attribute__ ((__noreturn__))
#define UNUSED_PARAM __attribute__ ((__unused__))
#define NOINLINE __attribute__((__noinline__))
#define ALIGN1 __attribute__((aligned(1)))
#define MAIN_EXTERNALLY_VISIBLE
#define PUSH_AND_SET_FUNCTION_VISIBILITY_TO_HIDDEN
#define POP_SAVED_FUNCTION_VISIBILITY
/* a compile-time assertion: a negative array size if CONDITION */
#define BUILD_BUG_ON(condition) ((void)sizeof(char[1 - 2*!!(condition)]))
#ifndef MIN
# define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
# define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif
#define ARRAY_SIZE(x) ((unsigned)(sizeof(x) / sizeof((x)[0])))

/* getopt32long's packed long option table */
#define No_argument "\0"
#define Required_argument "\001"

typedef signed char smallint;
typedef unsigned char smalluint;

extern const char *applet_name;
extern uint8_t xfunc_error_retval;
extern void (*die_func)(void);
void xfunc_die(void) NORETURN FAST_FUNC;

void bb_show_usage(void) NORETURN FAST_FUNC;
void bb_error_msg(const char *s, ...) __attribute__ ((format (printf, 1, 2))) FAST_FUNC;
void bb_error_msg_and_die(const char *s, ...) __attribute__ ((noreturn, format (printf, 1, 2))) FAST_FUNC;
void bb_perror_msg(const char *s, ...) __attribute__ ((format (printf, 1, 2))) FAST_FUNC;
void bb_perror_msg_and_die(const char *s, ...) __attribute__ ((noreturn, format (printf, 1, 2))) FAST_FUNC;
void bb_simple_error_msg(const char *s) FAST_FUNC;
void bb_simple_error_msg_and_die(const char *s) NORETURN FAST_FUNC;
void bb_simple_perror_msg(const char *s) FAST_FUNC;
void bb_simple_perror_msg_and_die(const char *s) NORETURN FAST_FUNC;

void *xmalloc(size_t size) FAST_FUNC;
void *xzalloc(size_t size) FAST_FUNC;
void *xrealloc(void *old, size_t size) FAST_FUNC;
char *xstrdup(const char *s) FAST_FUNC;
char *xasprintf(const char *format, ...) __attribute__ ((format (printf, 1, 2))) FAST_FUNC;
int xopen(const char *pathname, int flags) FAST_FUNC;
ssize_t safe_read(int fd, void *buf, size_t count) FAST_FUNC;
ssize_t full_write(int fd, const void *buf, size_t count) FAST_FUNC;
ssize_t open_read_close(const char *filename, void *buf, size_t maxsz) FAST_FUNC;
void *xmalloc_open_read_close(const char *filename, size_t *maxsz_p) FAST_FUNC;
char *skip_whitespace(const char *s) FAST_FUNC;
char *is_prefixed_with(const char *string, const char *key) FAST_FUNC;
/* "-" alone: stdin or stdout */
#define LONE_DASH(s) ((s)[0] == '-' && !(s)[1])
/* index of KEY in "str0\0str1\0...\0" (an empty string ends it), or -1 */
int index_in_strings(const char *strings, const char *key) FAST_FUNC;
char *utoa(unsigned n) FAST_FUNC;
unsigned long long monotonic_us(void) FAST_FUNC;
void bb_signals(int sigs, void (*f)(int)) FAST_FUNC;
void sig_unblock(int sig) FAST_FUNC;
void kill_myself_with_sig(int sig) NORETURN FAST_FUNC;
unsigned bb_strtou(const char *arg, char **endp, int base) FAST_FUNC;

extern uint32_t option_mask32;
/* getopt32long's own optind: naming libc's would link libc's getopt, and
 * the stdio it prints with, for nothing */
extern int bb_optind;
#define optind bb_optind
uint32_t getopt32long(char **argv, const char *optstring, const char *longopts, ...) FAST_FUNC;

/* BusyBox keeps applet state in one struct reached through this pointer */
extern struct globals *const ptr_to_globals;
#define barrier() __asm__ __volatile__("":::"memory")
/* The store goes through an address the compiler cannot trace back to
 * the const object: clang drops a plain store to a "constant" (a clang
 * build crashed at the first G.x), as BusyBox found (its
 * ASSIGN_CONST_PTR) */
#define SET_PTR_TO_GLOBALS(x) do { \
	struct globals **set_ptr_pp = (struct globals **)(void *)&ptr_to_globals; \
	__asm__ ("" : "+r" (set_ptr_pp)); \
	*set_ptr_pp = (void *)(x); \
	barrier(); \
} while (0)

int kvm_stat_main(int argc, char **argv) MAIN_EXTERNALLY_VISIBLE;

#endif
