#!/bin/sh
# Installs what the build and the tests need, when missing: with apt-get
# when run as root (saying so), else printing the command to run.
# Usage: ensure-deps.sh build|test|fuzz|fresh
#        ensure-deps.sh arm64 DIR    the arm64 cross toolchain in DIR (below)
need=""
command -v musl-gcc >/dev/null 2>&1 || need="$need musl-tools"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
if [ "$1" = test ]; then
	command -v bats >/dev/null 2>&1 || need="$need bats"
	command -v tmux >/dev/null 2>&1 || need="$need tmux"
	command -v setpriv >/dev/null 2>&1 || need="$need util-linux"
	# bpf.bats: that nothing of ours stays loaded after SIGKILL
	command -v bpftool >/dev/null 2>&1 || need="$need bpftool"
	# textfile.bats: node_exporter's page (node-exporter.sh fetches it)
	command -v curl >/dev/null 2>&1 || need="$need curl"
fi
# make fuzz: clang and its libFuzzer and sanitizer runtimes (the runtimes
# are a package of their own: a link of an empty fuzzer tells)
if [ "$1" = fuzz ]; then
	command -v clang >/dev/null 2>&1 || need="$need clang"
	echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return d[0] + n; }' |
		clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - \
		>/dev/null 2>&1 || need="$need libclang-rt-dev"
fi
# make check-fresh: a Debian to run the README's commands in
if [ "$1" = fresh ]; then
	command -v debootstrap >/dev/null 2>&1 || need="$need debootstrap"
	command -v unshare >/dev/null 2>&1 || need="$need util-linux"
fi
if [ "$1" = arm64 ]; then
	command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 ||
		need="$need gcc-aarch64-linux-gnu"
	[ -n "$2" ] || { echo "usage: ensure-deps.sh arm64 DIR" >&2; exit 2; }
fi

install_missing() {
	[ -z "$need" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages:$need; install them with: sudo apt-get install$need" >&2
		exit 1
	fi
	echo "installing missing packages with apt-get:$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || exit 1
	# shellcheck disable=SC2086
	apt-get install -y -qq $need >/dev/null || exit 1
}

# Debian has no aarch64 musl-gcc: its aarch64-linux-gnu-gcc, told by a gcc
# specs file to use the headers, start files and libc.a of the arm64 musl
# packages instead of glibc's, is one. The packages are unpacked into
# DIR/sysroot (fetched with a private apt setup, see apt-arm64.sh), and
# DIR/bin gets aarch64-linux-musl-gcc (the wrapper), -size and -strip, so
# that CROSS_COMPILE=DIR/bin/aarch64-linux-musl- names all three.
arm64_toolchain() {
	dir=$1
	mkdir -p "$dir/bin"
	dir=$(cd "$dir" && pwd)
	if [ ! -f "$dir/sysroot/.unpacked" ]; then
		echo "fetching musl for arm64 (musl, musl-dev) into $dir/sysroot"
		debs=$(sh "$(dirname "$0")/apt-arm64.sh" "$dir/apt" download musl musl-dev) ||
			exit 1
		rm -rf "$dir/sysroot"
		for deb in $debs; do
			dpkg -x "$deb" "$dir/sysroot" || exit 1
		done
		touch "$dir/sysroot/.unpacked"
	fi
	write_specs "$dir/sysroot/usr/include/aarch64-linux-musl" \
		"$dir/sysroot/usr/lib/aarch64-linux-musl" >"$dir/musl.specs"
	cat >"$dir/bin/aarch64-linux-musl-gcc" <<EOF
#!/bin/sh
# aarch64-linux-gnu-gcc building against musl (written by ensure-deps.sh)
exec aarch64-linux-gnu-gcc -specs "$dir/musl.specs" "\$@"
EOF
	chmod 755 "$dir/bin/aarch64-linux-musl-gcc"
	for tool in size strip; do
		ln -sf "$(command -v aarch64-linux-gnu-$tool)" \
			"$dir/bin/aarch64-linux-musl-$tool"
	done
}

# write_specs INCLUDE LIB: gcc's own include directory (stddef.h, arm_neon.h)
# stays after musl's; glibc's is never searched. Start files: crt1.o for a
# static or plain executable, as gcc picks its crtbegin variant.
write_specs() {
	cat <<EOF
%rename cpp_options musl_cpp_options

*cpp_options:
-nostdinc -isystem $1 -isystem include%s %(musl_cpp_options)

*cc1:
%(cc1_cpu) -nostdinc -isystem $1 -isystem include%s

*link_libgcc:
-L$2 -L .%s

*libgcc:
libgcc.a%s %:if-exists(libgcc_eh.a%s)

*startfile:
%{shared:;static-pie:$2/rcrt1.o;pie:$2/Scrt1.o;:$2/crt1.o} $2/crti.o %{static:crtbeginT.o%s;shared|pie|static-pie:crtbeginS.o%s;:crtbegin.o%s}

*endfile:
%{static:crtend.o%s;shared|pie|static-pie:crtendS.o%s;:crtend.o%s} $2/crtn.o

*link:
-nostdlib %{shared:-shared} %{static:-static} %{static-pie:-static -pie --no-dynamic-linker} %{!static:%{!static-pie:-dynamic-linker /lib/ld-musl-aarch64.so.1}}

EOF
}

install_missing
[ "$1" = arm64 ] && arm64_toolchain "$2"
exit 0
