#!/bin/sh
# Print "NAME CODE" pairs (prefix removed, code in decimal) of the exit-reason
# constants in kernel headers, sorted by code; the input of
# applet/kvm_stat_exits.c and of its completeness test.
# usage: gen-exit-tables.sh vmx|svm|user|arm64 HEADER...
# A header line looks like:  #define EXIT_REASON_HLT                 12
table=$1; shift
case $table in
vmx)	prefix=EXIT_REASON_ ;;
svm)	prefix=SVM_EXIT_ ;;
user)	prefix=KVM_EXIT_ ;;
arm64)	prefix=ESR_ELx_EC_ ;;
*)	echo "usage: $0 vmx|svm|user|arm64 HEADER..." >&2; exit 2 ;;
esac
# Not exit reasons: SVM_EXIT_SW (0xf0000000, software pseudo code) and
# SVM_EXIT_ERR (-1), KVM_EXIT_IO_IN/OUT and the KVM_EXIT_<TYPE>_<SUB>
# subtypes (HYPERV_SYNIC, XEN_HCALL, TDX_VMCALL...), ESR_ELx_EC_MAX/SHIFT/MASK.
cat "$@" | awk -v p="$prefix" -v t="$table" '
function hex(s,  i, n) {
	n = 0; s = tolower(s)
	for (i = 1; i <= length(s); i++)
		n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return n
}
$1 == "#define" && index($2, p) == 1 && $3 ~ /^\(?(0x[0-9a-fA-F]+|[0-9]+)\)?$/ {
	name = substr($2, length(p) + 1)
	v = $3; gsub(/[()]/, "", v)
	if (v ~ /^0x/) v = hex(substr(v, 3))
	if (t == "svm" && (name == "SW" || name == "ERR")) next
	if (t == "user" && name ~ /^(IO_IN|IO_OUT|HYPERV_SYNIC|HYPERV_HCALL|HYPERV_SYNDBG|XEN_HCALL|TDX_VMCALL)$/) next
	if (t == "arm64" && name ~ /^(MAX|SHIFT|MASK|ISS_MASK)$/) next
	if (seen[name]++) next
	print name, v
}' | sort -k2,2n -k1,1 -u
