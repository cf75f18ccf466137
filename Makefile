# Bosun: the entry points. `make up` and `make test` work on a fresh Debian 12 machine.
SHELL := /bin/bash
BUILD ?= build
SAN_BUILD ?= build-san
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
DATA_DIR ?= $(HOME)/.bosun

.PHONY: all deps configure build build-san test test-unit test-san up bench fuzz format clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

# The sanitizer build: clang with ASan+UBSan, plus the libFuzzer targets; its modules are shared libraries, so that
# over a hundred test programs do not each carry a copy of the code and its debug information.
$(SAN_BUILD)/build.ninja:
	@CC=clang CXX=clang++ cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DBOSUN_SANITIZE=ON -DBOSUN_FUZZ=ON -DBOSUN_BENCH=OFF -DBOSUN_SHARED_LIBS=ON >/dev/null

build-san: deps $(SAN_BUILD)/build.ninja
	@cmake --build $(SAN_BUILD) -j $(JOBS)

# Every test: unit, conformance and end-to-end tests on the normal build, then the unit tests again under
# ASan+UBSan with a short smoke run of every fuzz target.
test: build build-san
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900
	@cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900 -L 'unit|fuzz'

up: build
	@mkdir -p $(DATA_DIR)
	@exec $(BUILD)/bosun server --data-dir $(DATA_DIR)

bench: build
	@scripts/bench.sh $(BUILD)

fuzz: build-san
	@for t in $$(find $(SAN_BUILD)/src -name '*_fuzz' -type f -perm -u+x | sort); do \
	  echo "fuzz: $$(basename $$t) for $(FUZZ_SECONDS)s"; \
	  scripts/fuzz-run.sh $$t $(FUZZ_SECONDS) fuzz/corpus/$$(basename $$t) || exit 1; \
	done

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
