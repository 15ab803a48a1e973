#!/usr/bin/env bash
# Configures and builds oncolm in ./build (Release with debug info, Ninja). Extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${ONCOLM_BUILD_JOBS:-$(nproc)}
cmake -S . -B build -G Ninja "$@" >/dev/null
cmake --build build -j "$jobs"
