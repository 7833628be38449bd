#!/bin/sh
# Lists the objects to build, from the //kbuild: lines of the applet
# sources and a .config, as BusyBox's Kbuild does:
#   //kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_LOG) += kvm_stat_log.o
# Usage: objects.sh CONFIG_FILE FILE...
config=$1
shift
sed -n 's,^//kbuild:lib-\$(\(CONFIG_[A-Z0-9_]*\)) *+= *,\1 ,p' "$@" |
while read -r sym objs; do
	grep -qx "$sym=y" "$config" && echo $objs
done | tr ' ' '\n' | sort -u | tr '\n' ' '
