# simnet: `make run` installs and starts everything; `make test` installs and runs every test.
# Everything Python goes into .venv; front-end libraries come from the npm registry.

PY      := .venv/bin/python
PIP     := .venv/bin/pip
HOST    ?= 127.0.0.1
PORT    ?= 8000
STAMP   := .venv/.installed-$(shell cat pyproject.toml package.json | sha1sum | cut -c1-12)
# llama.cpp compiled for this machine's CPU (AVX-512 and VNNI where present make the offline model
# about 20% faster than a portable build), once per CPU model and version: later installs reuse it.
LLAMA_PIN    := $(shell grep -o 'llama-cpp-python==[0-9.]*' pyproject.toml)
LLAMA_WHEELS := $(HOME)/.cache/simnet/wheels/$(subst ==,-,$(LLAMA_PIN))-$(shell grep -m1 -E '^(flags|Features)' /proc/cpuinfo | sha1sum | cut -c1-12)

.PHONY: run test bench install system-deps test-sqlite test-postgres test-redis lint

install: $(STAMP) static/vendor/.stamp

$(STAMP): pyproject.toml package.json
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip
	ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="-DGGML_NATIVE=ON" $(PIP) wheel --quiet --no-deps --no-cache-dir -w $(LLAMA_WHEELS) '$(LLAMA_PIN)'
	$(PIP) install --quiet --find-links $(LLAMA_WHEELS) -e '.[offline,scale,test]'
	rm -f .venv/.installed-* && touch $(STAMP)

static/vendor/.stamp: package.json
	npm install --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/htmx-ext-ws/dist/ws.min.js static/vendor/htmx-ext-ws.min.js
	cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chart.umd.min.js
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css
	mkdir -p static/vendor/swagger-ui static/vendor/redoc/bundles
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js \
	   node_modules/swagger-ui-dist/swagger-ui.css static/vendor/swagger-ui/
	cp node_modules/redoc/bundles/redoc.standalone.js static/vendor/redoc/bundles/
	touch static/vendor/.stamp

# Debian packages the tests use (Redis for scale-out tests, Chromium for browser tests).
system-deps:
	@if ! command -v redis-server >/dev/null || ! test -x /usr/bin/chromium; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server chromium; \
	  else echo "Install redis-server and chromium (apt-get) to run every test."; fi; fi

# Links in emails and the demo login line point where the server runs.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py seed_demo
	scripts/serve.sh $(HOST) $(PORT)

test: install system-deps
	scripts/test_all.sh

bench: install
	$(PY) -m bench

lint: install
	.venv/bin/ruff check .
