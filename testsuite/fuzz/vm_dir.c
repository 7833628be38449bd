/* vi: set sw=4 ts=4: */
/*
 * A directory name of <debugfs>/kvm to a VM's pid (vm_dir_pid): "4242-11".
 * Properties: a pid comes only from DIGITS-DIGITS, is the first number,
 * and the name fits the VM's name buffer (new_vm() copies it there).
 */
#include "fuzz.h"
#include "kvm_stat_debugfs.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name;
	int pid;

	fuzz_init();
	name = fuzz_str(data, size, 255);	/* NAME_MAX */
	pid = vm_dir_pid(name);
	if (pid) {
		size_t digits = strspn(name, "0123456789");

		fuzz_assert(pid > 0 && strlen(name) < VM_NAME_SIZE);
		fuzz_assert(digits && name[digits] == '-');
		fuzz_assert(name[digits + 1] && !name[digits + 1 + strspn(name + digits + 1, "0123456789")]);
		fuzz_assert(strtoll(name, NULL, 10) == pid);
		struct debugfs_state d = { .n = 2 };

		free(new_vm(&d, name, pid));	/* the copy, under ASan */
	}
	free(name);
	return 0;
}
