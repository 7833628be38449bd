/* vi: set sw=4 ts=4: */
/*
 * As in BusyBox: libbb.h declares the pointer const so that the compiler
 * may cache it; it is defined writable here, where libbb.h is not seen.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
struct globals;
struct globals *ptr_to_globals;
