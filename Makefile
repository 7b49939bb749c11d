# make bench: the performance benchmark (bench/run.sh, docs/PERFORMANCE.md),
# on two captures: the default mix and many small connections.
# Parameters: make bench PACKETS=1000000 CONC=4000 SEED=1 RUNS=3
# SMALL_PACKETS=1000000 SMALL_CONC=4000 WORKERS=2; SMALL=0 leaves out the
# capture of small connections, HOSTILE=0 the hostile traffic.
PACKETS ?= 1000000
CONC ?= 4000
SEED ?= 1
RUNS ?= 3
SMALL_PACKETS ?= 1000000
SMALL_CONC ?= 4000
WORKERS ?= 2

.PHONY: bench bench-hostile bench-html bench-clean

bench:
	PACKETS=$(PACKETS) CONC=$(CONC) SEED=$(SEED) RUNS=$(RUNS) \
		SMALL_PACKETS=$(SMALL_PACKETS) SMALL_CONC=$(SMALL_CONC) WORKERS=$(WORKERS) \
		bash bench/run.sh

# make bench-hostile: a million-SYN flood, a port scan and a RST storm, with
# the default and a small --max-conns; then, with the default, in every
# output mode, a million RSTs against one connection and a flood of three
# million SYNs, and short connections with one packet stamped 2106
# (bench/hostile.sh, docs/PERFORMANCE.md). It fails when an attack is not
# named in the findings, when a run peaks at its memory bound (the small
# --max-conns: RSS_BOUND_MIB; the three-million flood: 1 GiB), or when the
# stray stamp changes the final states or is not counted as clock_jump.
# make bench runs it last unless HOSTILE=0. Parameters, all optional:
# make bench-hostile SEED=1 FLOOD_SYNS=1000000 STORM_RSTS=1000000
# SCAN_HOSTS=4 SMALL_MAX_CONNS=100000 STORM1_RSTS=1000000
# BIG_FLOOD_SYNS=3000000 CLOSE_CONNS=100000
bench-hostile:
	SEED=$(SEED) bash bench/hostile.sh

# make bench-html: the HTML report of the two benchmark captures: time to
# write, size, and time until its page is usable in headless Chromium
# (bench/html.sh, docs/PERFORMANCE.md).
bench-html:
	PACKETS=$(PACKETS) CONC=$(CONC) SEED=$(SEED) SMALL_PACKETS=$(SMALL_PACKETS) RUNS=$(RUNS) bash bench/html.sh

# Removes the benchmark's binaries, cached captures and results.
bench-clean:
	rm -rf bench/out

# make bench-live: live capture against tcpdump (bench/live.sh): the
# benchmark capture replayed with tcpreplay --topspeed into a veth pair in
# namespaces of its own, captured on the other end by tcpdump -w /dev/null
# and by tcpflow-fsm, RUNS times each; a table of the drops. Needs root and
# tcpreplay. Parameters, all optional: make bench-live RUNS=5 PRELOAD=1
# TOOLS=tcpdump,tcpflow-fsm TFSM_ARGS="-B 8192" PCAP=other.pcap
.PHONY: bench-live
bench-live:
	RUNS=$(RUNS) bash bench/live.sh

# make fuzz-cover PKG=report TARGET=FuzzRenderers: which of the project's
# statements a fuzz target's corpus (committed and this machine's fuzz
# cache) reaches, grouped by when the fuzzer found each input
# (bench/fuzzcover.sh, docs/FUZZING.md). Optional: BUCKET=10 (minutes),
# SINCE="2026-11-22 01:00" (older inputs count as one group).
PKG ?= report
TARGET ?= FuzzRenderers
BUCKET ?= 10
.PHONY: fuzz-cover
fuzz-cover:
	SINCE="$(SINCE)" bash bench/fuzzcover.sh $(PKG) $(TARGET) $(BUCKET)
