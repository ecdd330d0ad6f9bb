# fuzztests.sh: the fuzzer (tests/guest/fuzz.c, installed as /tests/fuzz) with the seeds
# `make test` runs. Each of them once caught a kernel bug (the ramfs stack overflow, and
# three the #DB loop); fuzz prints the "PASS"/"FAIL" lines and "N passed, N failed".
exec /tests/fuzz 1 8 12 15
