# The two commands: `make run` and `make test`. Everything else is a helper.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build asan run test test-fast bench fuzz clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSTEPWISE_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Starts syncd on an embedded SQLite store under ./var with the sample
# catalogue and drives it; see scripts/run-demo.
run: build
	@scripts/run-demo $(BUILD)

# Every test but benchmarks, in the plain build and again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
test: build asan
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE '^bench$$' --timeout 600
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE '^bench$$' --timeout 900

test-fast: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE '^bench$$'

# Full benchmarks, one at a time; prints the table and writes
# $(BUILD)/bench.json (docs/PERFORMANCE.md). Tiny-size smoke runs of the
# same programs are part of `make test` (label smoke).
bench: build
	@rm -f $(BUILD)/bench/results.tsv
	@cd $(BUILD) && ctest --output-on-failure -L '^bench$$'; rc=$$?; \
	  cd $(CURDIR) && bench/report $(BUILD)/bench/results.tsv $(BUILD)/bench.json; exit $$rc

fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -DSTEPWISE_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@scripts/fuzz build-fuzz $(or $(MINUTES),5)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
