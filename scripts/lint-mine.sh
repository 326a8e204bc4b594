#!/bin/sh
# lint only the lead's foundation files
cd /work/main && P="src/circo/__init__.py src/circo/__main__.py src/circo/cli.py src/circo/cli_common.py src/circo/config.py src/circo/db.py src/circo/demo.py src/circo/errors.py src/circo/i18n.py src/circo/models.py src/circo/runtime.py src/circo/core src/circo/web src/circo/migrations tests/conftest.py tests/core tests/web"
.venv/bin/ruff check --fix -q $P; .venv/bin/ruff format -q $P; .venv/bin/mypy $(echo $P | tr ' ' '\n' | grep ^src) 2>&1 | tail -5
