# fuzztests.sh: the fuzzer (tests/guest/fuzz.c, installed as /tests/fuzz) with the seeds
# `make test` runs. Each of them once caught a kernel bug (the ramfs stack overflow, and
# three the #DB loop; 1 also sendfile losing a pipe's bytes); fuzz prints the
# "PASS"/"FAIL" lines and "N passed, N failed".
# Each seed runs eight batches, the last two by a uid-1000 worker tracing its own
# children and filling their event queues (issue 15); about 12 s a seed in 32 MiB.
# The guest has a virtio console port "fuzz" (vcon:fuzz, /dev/virtio-ports/fuzz) whose
# host side is connected and discards what it gets (tools/runtests.sh reads this line):
# vrun: --vcon fuzz
exec /tests/fuzz 1 8 12 15
