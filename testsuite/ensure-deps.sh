#!/bin/sh
# Installs what the build and the tests need, when missing: with apt-get
# when run as root (saying so), else printing the command to run.
# Usage: ensure-deps.sh build|test|fuzz
need=""
command -v musl-gcc >/dev/null 2>&1 || need="$need musl-tools"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
if [ "$1" = test ]; then
	command -v bats >/dev/null 2>&1 || need="$need bats"
	command -v tmux >/dev/null 2>&1 || need="$need tmux"
	command -v setpriv >/dev/null 2>&1 || need="$need util-linux"
fi
# make fuzz: clang and its libFuzzer and sanitizer runtimes (the runtimes
# are a package of their own: a link of an empty fuzzer tells)
if [ "$1" = fuzz ]; then
	command -v clang >/dev/null 2>&1 || need="$need clang"
	echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return d[0] + n; }' |
		clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - \
		>/dev/null 2>&1 || need="$need libclang-rt-dev"
fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$need; install them with: sudo apt-get install$need" >&2
	exit 1
fi
echo "installing missing packages with apt-get:$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || exit 1
# shellcheck disable=SC2086
apt-get install -y -qq $need >/dev/null || exit 1
