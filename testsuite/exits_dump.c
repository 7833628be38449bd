/* vi: set sw=4 ts=4: */
/*
 * Test helper for applet/kvm_stat_exits.c, linked with it alone:
 *   exits_dump TABLE         every "NAME CODE" of user|vmx|svm|arm64
 *   exits_dump TABLE NAME    the code of NAME, -1 if absent
 *   exits_dump TABLE -slots  exit times' "SLOTS GAP_AT GAP_END" of TABLE
 *                            (exit_reason_slots(); a build with them)
 */
#include "libbb.h"
#include "kvm_stat_common.h"

int main(int argc, char **argv)
{
	static const char *const tables[] = { "user", "vmx", "svm", "arm64" };
	static const unsigned char ids[] = {
		EXITS_USER, EXITS_VMX, EXITS_SVM, EXITS_ARM64
	};
	char name[EXIT_NAME_MAX];
	unsigned i;
	int t, code;

	for (t = 0; t < 4; t++)
		if (argc > 1 && strcmp(argv[1], tables[t]) == 0)
			break;
	if (t == 4) {
		fputs("usage: exits_dump user|vmx|svm|arm64 [NAME]\n", stderr);
		return 2;
	}
#if ENABLE_FEATURE_KVM_STAT_EXIT_TIMES
	if (argc > 2 && strcmp(argv[2], "-slots") == 0) {
		unsigned at, end, n = exit_reason_slots(ids[t], &at, &end);

		printf("%u %u %u\n", n, at, end);
		return 0;
	}
#endif
	for (i = 0; (code = exit_reason(ids[t], i, name)) >= 0; i++) {
		if (argc <= 2)
			printf("%s %d\n", name, code);
		else if (strcmp(name, argv[2]) == 0)
			break;
	}
	if (argc > 2)
		printf("%d\n", code);
	return 0;
}
