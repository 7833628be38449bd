#!/bin/sh
# How many cpus a sysfs cpu list names ("0-3,6\n" -> 5): the expected
# value of the cpu-list tests, computed apart from kvm_stat's parser.
tr ',' '\n' | awk -F- 'NF == 2 { n += $2 - $1 + 1; next } NF == 1 && $1 != "" { n++ } END { print n + 0 }'
