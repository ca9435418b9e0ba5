#!/usr/bin/env bash
# Installs everything casebridge needs on a fresh Debian machine: the Debian
# packages in apt-packages.txt (only those missing), the Python package with
# its development tools in .venv, and the Node packages of the independent FHIR
# validator in scripts/fhir-validate/node_modules and of the accessibility checks
# in tests/e2e/axe/node_modules. Safe to run again: it does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-dev}"

missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < apt-packages.txt
if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml apt-packages.txt | sha256sum | cut -c1-16)-$extras"
if [[ ! -f "$stamp" ]]; then
  .venv/bin/pip install -q --upgrade pip
  # tesserocr from source, against Debian's libtesseract (apt-packages.txt): the
  # wheel on PyPI bundles another Tesseract, which reads pages differently from
  # the `tesseract` command the engine's ingest runs
  .venv/bin/pip install -q --no-binary tesserocr -e ".[$extras]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# The independent FHIR validator (Medplum's, scripts/fhir-validate) the tests run on
# every example's bundle: `npm ci` from its lock file when node_modules is missing or
# the lock changed. Debian's npm is installed only when no npm came with Node.js (the
# NodeSource nodejs package carries its own and conflicts with Debian's).
if ! command -v npm >/dev/null; then
  echo "Installing Debian package: npm"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends npm
fi
validator=scripts/fhir-validate
node_ok=$(node -e 'const [a, b] = process.versions.node.split(".").map(Number);
  console.log(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? "yes" : "no")')
if [[ "$node_ok" != yes ]]; then
  echo "warning: the FHIR validator needs Node.js 20.19+ or 22.12+ (found $(node --version));" \
    "its test will fail until a newer Node.js is installed" >&2
else
  vstamp="$validator/node_modules/.installed-$(sha256sum <"$validator/package-lock.json" | cut -c1-16)"
  if [[ ! -f "$vstamp" ]]; then
    (cd "$validator" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$vstamp"
  fi
fi

# axe-core, the accessibility rules the browser tests (tests/e2e/test_accessibility.py)
# run in Chromium: `npm ci` from its lock file when node_modules is missing or the lock
# changed (any Node.js will do).
axe=tests/e2e/axe
astamp="$axe/node_modules/.installed-$(sha256sum <"$axe/package-lock.json" | cut -c1-16)"
if [[ ! -f "$astamp" ]]; then
  (cd "$axe" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$astamp"
fi
