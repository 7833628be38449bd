/* vi: set sw=4 ts=4: */
/*
 * Test helper for applet/kvm_stat_exits.c, linked with it alone:
 *   exits_dump TABLE         every "NAME CODE" of user|vmx|svm|arm64
 *   exits_dump TABLE NAME    the code of NAME, -1 if absent
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
