/* vi: set sw=4 ts=4: */
/*
 * <root>/proc/mounts to the debugfs and tracefs mount points
 * (host_find_mounts, unescape_mount_path for "\040" and friends), with
 * KVM_STAT_ROOT's prefix in G.root.
 * Properties: every path found lies under the root prefix, and no
 * unescaped path is longer than its line.
 */
#include "fuzz.h"
#include "kvm_stat_host.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t root_len;

	fuzz_init();
	G.root = fuzz_dir();
	root_len = strlen(G.root);
	fuzz_file("proc/mounts", data, size);
	if (setjmp(fuzz_jmp) == 0) {
		host_find_mounts();
		if (G.debugfs) {
			fuzz_assert(strncmp(G.debugfs, G.root, root_len) == 0);
			fuzz_assert(strlen(G.debugfs) <= root_len + size);
		}
		if (G.tracefs)
			fuzz_assert(strncmp(G.tracefs, G.root, root_len) == 0);
	}
	free(G.debugfs);
	free(G.tracefs);
	free(G.debugfs_kvm);
	G.debugfs = G.tracefs = G.debugfs_kvm = NULL;
	return 0;
}
