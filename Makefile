# simnet: `make run` installs and starts everything; `make test` installs and runs every test.
# Everything Python goes into .venv; front-end libraries come from the npm registry.

PY      := .venv/bin/python
PIP     := .venv/bin/pip
HOST    ?= 127.0.0.1
PORT    ?= 8000
STAMP   := .venv/.installed-$(shell cat pyproject.toml package.json scripts/install_llama.py | sha1sum | cut -c1-12)

.PHONY: run test bench install system-deps test-sqlite test-postgres test-redis lint

install: $(STAMP) static/vendor/.stamp
	$(PY) scripts/public_data.py

# llama.cpp is built for this CPU and checked with one real decode; a build that crashes here is
# replaced by a more portable one (scripts/install_llama.py says how, and caches each per CPU).
$(STAMP): pyproject.toml package.json scripts/install_llama.py
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[scale,test]'
	$(PY) scripts/install_llama.py
	$(PIP) install --quiet -e '.[offline,scale,test]'
	rm -f .venv/.installed-* && touch $(STAMP)

# Front-end files from npm. Bundles name source maps their packages do not ship
# (redoc.standalone.js.map), and production's manifest storage refuses to collect a file whose map
# is missing, so the copies lose the sourceMappingURL comments that storage would follow.
static/vendor/.stamp: package.json Makefile
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
	find static/vendor -type f \( -name '*.js' -o -name '*.css' \) -exec sed -i.orig \
	  -e '/^\/\/# sourceMappingURL=/d' -e '/^\/\*#[ 	]sourceMappingURL=.*\*\/$$/d' {} +
	find static/vendor -name '*.orig' -delete
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
	$(PY) -m bench --speedup

lint: install
	.venv/bin/ruff check .
