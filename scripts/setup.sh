#!/usr/bin/env bash
# Installs what oncolm needs to build, test and run its demo on Debian 12 (as root).
# Only packages that are missing are installed, so a second run is quick.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libhts-dev zlib1g-dev              # BAM/VCF/FASTA/BGZF
  libtorch-dev libopenblas0-pthread  # the network; OpenBLAS replaces reference BLAS (~40x faster)
  libgloo-dev                        # c10d's Gloo backend: data-parallel training (oncolm train --nproc)
  libgtest-dev libcli11-dev nlohmann-json3-dev libfmt-dev
  bcftools samtools tabix            # tests compare against them; the example is built with them
  python3 python3-numpy python3-pysam python3-sklearn python3-pandas  # benchmark baseline, loading examples, classify's scikit-learn check
  chromium                           # oncolm report's test renders the HTML in a real (headless) browser
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "setup: run as root to install packages" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
