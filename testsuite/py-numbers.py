#!/usr/bin/env python3
# Writes testsuite/py-numbers.txt: what Python's int() and float() make of
# the inputs below, the answers the reference kvm_stat's argparse gets for
# -p and -s. One line each: "int|float|input|answer", the input
# with backslash escapes (printf %b), the answer Python's str() of the
# value or "error". Run: python3 testsuite/py-numbers.py > testsuite/py-numbers.txt
INTS = ["5", "+5", "-5", "-0", "0", " 5", "5 ", "\t5\n", "1_000", "1__000",
        "_1", "1_", "0x5", "5x", "", " ", "+", "-", "007", "1e3", "5.0",
        "99999999999", "2147483647", "2147483648", "1 2", "++5", "0_0"]
FLOATS = ["3", "0.5", "+0.5", "-0.5", " 2.5 ", "\t2\n", "1_0", "1__0", "_1",
          "1_", "1_0.5", "1._5", "1_e1", "1e_1", "1e1_0", "2.5e-1",
          "2_5e-1", ".5", "5.", ".", "e1", "1e", "1e+1", "1E1", "inf",
          "-inf", "Infinity", "INF", "nan", "NaN", "-nan", "0x1p1", "0x10",
          "1e400", "1e-400", "25.5", "25.50000001", "0.1", "0.09999999",
          "", " ", "1 2", "+-1", "1.2.3", "infinit", "nan(1)", "1d"]


def esc(s):
    return s.encode("unicode_escape").decode("ascii")


for kind, conv, inputs in (("int", int, INTS), ("float", float, FLOATS)):
    for s in inputs:
        try:
            answer = str(conv(s))
        except ValueError:
            answer = "error"
        print("%s|%s|%s" % (kind, esc(s), answer))
