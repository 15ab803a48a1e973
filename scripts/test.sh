#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test that does not need a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build
ctest -LE gpu --output-on-failure -j "${ONCOLM_TEST_JOBS:-2}"
