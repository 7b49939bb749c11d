# make bench: the performance benchmark (bench/run.sh, docs/PERFORMANCE.md).
# Parameters: make bench PACKETS=1000000 CONC=4000 SEED=1 RUNS=3
PACKETS ?= 1000000
CONC ?= 4000
SEED ?= 1
RUNS ?= 3

.PHONY: bench bench-clean

bench:
	PACKETS=$(PACKETS) CONC=$(CONC) SEED=$(SEED) RUNS=$(RUNS) bash bench/run.sh

# Removes the benchmark's binaries, cached captures and results.
bench-clean:
	rm -rf bench/out
