# Boucle — the two commands: `make run` and `make test` (and `make serve` on a server).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: run serve test setup lint db demo browser clean translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

db: setup
	$(FLASK) db upgrade

demo: db
	@$(FLASK) bottles demo --if-empty

run: demo
	@$(FLASK) bottles demo-accounts
	$(FLASK) run --host 127.0.0.1 --port 5000

# Production: gunicorn with gunicorn.conf.py on BOUCLE_BIND (127.0.0.1:8000) behind a reverse
# proxy; refuses to start without a real SECRET_KEY and an https BASE_URL (docs/deployment.md).
serve: export BOUCLE_ENV ?= production
serve: setup
	$(FLASK) db upgrade
	exec $(BIN)/gunicorn -c gunicorn.conf.py 'wsgi:create_app()'

# Headless Chromium for the end-to-end tests and poppler's pdftoppm for the label-decoding
# tests come from Debian (a test tool's own browser download cannot work here).
browser:
	@{ command -v chromium && command -v pdftoppm; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; \
	  else echo "Missing: sudo apt-get install chromium poppler-utils"; exit 1; fi; }

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: setup browser lint
	$(BIN)/pytest -n 2 --dist loadfile tests

# Re-extract each package's French strings into its translations/en (po + compiled mo, both
# committed), keeping existing English translations; then fill any new msgstr and run it again.
translations: setup
	$(BIN)/python bottles/translations/update_catalogue.py
	$(BIN)/python bottles/translations/update_catalogue.py collection_points
	$(BIN)/python bottles/translations/update_catalogue.py washer
	$(BIN)/python bottles/translations/update_catalogue.py resales
	$(BIN)/python bottles/translations/update_catalogue.py reports
	$(BIN)/python bottles/translations/update_catalogue.py notifications

clean:
	rm -rf $(VENV) instance .pytest_cache
