/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: -1, batch mode. Two samples one second apart, then one line
 * per field: name, total, delta, sorted by key; byte for byte the
 * reference's '%-42s%10d%10d'. With -v, each field's vCPUs follow it, in
 * the order their threads started, as "field/vCPU" ("kvm_pio/CPU 3/KVM"):
 * those that counted anything.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat_common.h"

void batch_run(void)
{
	struct outbuf out = { NULL, 0, 0 };
	unsigned *order;
	unsigned i;

	catch_signals();
	stats_update(0);
	if (wait_event(monotonic_us() + 1000000, -1) == WAIT_SIGNAL)
		quit_on_signal();	/* Ctrl-C: nothing printed, as the reference */
	stats_update(0);
	order = stats_order_by_key();
	for (i = 0; i < G.nstats; i++) {
		const struct stat_entry *e = &G.stats[order[i]];
		const char *name = e->key;
		int len = e->name_len;
		char *vcpu_name = NULL;

		if (ENABLE_FEATURE_KVM_STAT_VCPU && e->tid) {
			if (!(e->value | e->delta))
				continue;
			name = vcpu_name = xasprintf("%.*s/%s", len, name, e->vcpu);
			len = INT_MAX;	/* all of it */
		}
		outbuf_printf(&out, "%-42.*s%10llu%10lld\n",
			len, name, e->value, e->delta);
		free(vcpu_name);
	}
	free(order);	/* exit() below: LeakSanitizer would count it */
	out_write(STDOUT_FILENO, out.buf, out.len);
	quit_fast(EXIT_SUCCESS);
}
