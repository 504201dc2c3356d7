#!/usr/bin/env bash
# Installs what the UI test needs (see /work/shared/reference/real-vscode-testing.md):
# Debian chromium + the native build deps of code-server, and code-server itself in a cache
# outside the repo. Idempotent: a second run with everything present takes a second.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
RG_PACKAGE_VERSION=1.15.11   # @vscode/ripgrep pinned by code-server 4.100.3's npm-shrinkwrap.json
RG_TAG=v13.0.0-10            # the ripgrep-prebuilt release that @vscode/ripgrep 1.15.11 downloads
CACHE="${HCDBG_CI_CACHE:-$HOME/.cache/hcdbg-ci}"
PREFIX="$CACHE/code-server-$CODE_SERVER_VERSION"

missing=()
for pkg in chromium libkrb5-dev libsecret-1-dev ripgrep; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  # As a developer (not root), npm test's pretest must not die inside apt-get.
  if ((EUID != 0)); then
    echo "The UI test needs the Debian packages ${missing[*]}: run \`sudo bash test/ui/setup.sh\` once." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bin="$PREFIX/node_modules/.bin/code-server"
if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "^$CODE_SERVER_VERSION "; then
  exit 0
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache already holds the
# tarball: give it Debian's rg.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rg_cache="$tmp/vscode-ripgrep-cache-$RG_PACKAGE_VERSION"
mkdir -p "$rg_cache" "$tmp/rg"
cp /usr/bin/rg "$tmp/rg/rg"
tar -czf "$rg_cache/ripgrep-$RG_TAG-x86_64-unknown-linux-musl.tar.gz" -C "$tmp/rg" rg

rm -rf "$PREFIX"
mkdir -p "$PREFIX"
echo '{"private":true}' > "$PREFIX/package.json"
echo "Installing code-server $CODE_SERVER_VERSION into $PREFIX (a few minutes, once)"
TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true \
  npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >"$tmp/npm.log" 2>&1 \
  || { tail -40 "$tmp/npm.log"; echo "code-server $CODE_SERVER_VERSION failed to install into $PREFIX"; exit 1; }
"$bin" --version | grep "^$CODE_SERVER_VERSION "
