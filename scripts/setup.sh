#!/usr/bin/env bash
# Installs what wasmcnn's build and tests need on Debian 12, and nothing that is already there.
# Idempotent; when everything is present it only runs a few file tests (well under a second).
#
# Usage: scripts/setup.sh [--browser]
#   --browser  also install Chromium (the e2e tests need it; `npm start` does not)
set -euo pipefail
cd "$(dirname "$0")/.."

browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    *) echo "setup: unknown argument '$arg' (usage: scripts/setup.sh [--browser])" >&2; exit 2 ;;
  esac
done

# --- Debian packages: queue each one whose marker file or command is missing ---
missing=()
need() { # need PACKAGE TEST-COMMAND...
  local pkg=$1; shift
  "$@" >/dev/null 2>&1 || missing+=("$pkg")
}
have_files() { for f in "$@"; do [[ -e $f ]] || return 1; done; }

# Build tools; normally part of the machine image, checked so a bare Debian works too.
need cmake       command -v cmake
need ninja-build command -v ninja
need clang       command -v clang++
# em++ and emcmake (Emscripten 3.1.6, clang 14)
need emscripten  command -v em++
need doctest-dev test -f /usr/include/doctest/doctest.h
# Fashion-MNIST in IDX format, for larger training runs and benchmarks
fmnist=/usr/share/datasets/fashion-mnist
need dataset-fashion-mnist have_files "$fmnist"/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
# clang's libFuzzer and sanitizer runtimes, ThreadSanitizer's included (the version directory
# varies: 14.0.6 on Debian 12)
need libclang-rt-14-dev have_files /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.{fuzzer,tsan}-x86_64.a
if (( browser )); then
  need chromium test -x /usr/bin/chromium
fi

if (( ${#missing[@]} )); then
  sudo=()
  if (( EUID != 0 )); then
    command -v sudo >/dev/null || { echo "setup: need root to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

# --- npm: install when node_modules is missing or older than package.json / package-lock.json ---
# npm rewrites node_modules/.package-lock.json on every install; we touch it after ours so it is the stamp.
stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package.json -nt $stamp || ( -f package-lock.json && package-lock.json -nt $stamp ) ]]; then
  if [[ -f package-lock.json && ! package.json -nt package-lock.json ]]; then
    echo "setup: npm ci"
    npm ci --no-audit --no-fund
  else
    # No lockfile, or package.json was edited after it: `npm ci` would refuse, so update the lockfile.
    echo "setup: npm install"
    npm install --no-audit --no-fund
  fi
  touch "$stamp"
else
  echo "setup: node_modules up to date"
fi
