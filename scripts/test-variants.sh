#!/usr/bin/env bash
# Proves that the test suite does not depend on the machine it was written on (issue 11):
# clones the committed HEAD into a folder whose path has a space, points TMPDIR at another such
# folder, and runs the tests under `env -i` with only PATH, HOME and TMPDIR; then runs them a
# second time in the same clone and checks that neither run left a file git would see.
#
#   scripts/test-variants.sh                   npm ci, then `npm test` twice (the full check)
#   scripts/test-variants.sh --quick FILE...   node_modules linked from this checkout, `npm run
#                                              build`, then `vitest run FILE...` twice (a smoke test)
#   --once                                     one run only (no second-run check), to save time
#   --keep                                     keep the temporary folder (printed) for a look
#
# The full check installs with `npm ci --prefer-offline` (from the npm cache when it holds the
# locked versions): only a real install proves that package-lock.json is all the tests need.
# The quick mode links node_modules instead, to stay cheap.
# Prints one verdict line per variant; exits non-zero when any fails.
set -uo pipefail

quick=0 keep=0 runs=2 files=()
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --keep) keep=1 ;;
    --once) runs=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) files+=("$1") ;;
  esac
  shift
done
if ((quick)) && ((${#files[@]} == 0)); then
  echo "test-variants: --quick needs the test files to run, e.g. --quick test/symbols" >&2
  exit 2
fi

repo="$(git rev-parse --show-toplevel)" || exit 2
head="$(git -C "$repo" rev-parse HEAD)" || exit 2
if [[ -n "$(git -C "$repo" status --porcelain)" ]]; then
  echo "test-variants: note: testing the committed HEAD ${head:0:12}; uncommitted changes in $repo are not included"
fi

base="$(mktemp -d "${TMPDIR:-/tmp}/hcdbg variants.XXXXXX")" || exit 2
clone="$base/clone with space"
tmp="$base/tmp with space"
mkdir -p "$tmp"
if ((keep)); then echo "test-variants: keeping $base"; else trap 'rm -rf "$base"' EXIT; fi

failed=0
verdict() { # verdict <status> <description>
  if (($1 == 0)); then echo "PASS  $2"; else echo "FAIL  $2"; failed=1; fi
}

git clone --quiet --no-checkout "$repo" "$clone" && git -C "$clone" checkout --quiet --detach "$head"
verdict $? "clone of ${head:0:12} into a path with a space ($clone)"
((failed)) && exit 1

# Only what a new user's shell would surely have; the tests must not need anything else.
clean_env=(env -i "PATH=$PATH" "HOME=$HOME" "TMPDIR=$tmp")
log="$base/log"

if ((quick)); then
  ln -s "$repo/node_modules" "$clone/node_modules"
  echo /node_modules >>"$clone/.git/info/exclude" # .gitignore's node_modules/ matches no symlink
  run_tests=(bash -c 'npm run build >/dev/null && node_modules/.bin/vitest run "$@"' test-variants "${files[@]}")
  what="npm run build && vitest run ${files[*]}"
else
  (cd "$clone" && "${clean_env[@]}" npm ci --prefer-offline --no-audit --no-fund --loglevel=error) >"$log.install" 2>&1
  status=$?
  ((status)) && tail -20 "$log.install"
  verdict $status "npm ci --prefer-offline in the clone"
  ((failed)) && exit 1
  run_tests=(npm test)
  what="npm test"
fi

for ((run = 1; run <= runs; run++)); do
  start=$SECONDS
  (cd "$clone" && "${clean_env[@]}" "${run_tests[@]}") >"$log.$run" 2>&1
  status=$?
  ((status)) && tail -60 "$log.$run"
  label=$([[ $run == 1 ]] && echo "first run" || echo "second run in the same clone")
  verdict $status "$label: $what under env -i (PATH, HOME, TMPDIR with a space), $((SECONDS - start)) s"
  left="$(git -C "$clone" status --porcelain)"
  [[ -n "$left" ]] && echo "$left"
  verdict "$([[ -z "$left" ]]; echo $?)" "after the $label: git status --porcelain in the clone is empty"
done

echo "test-variants: left in TMPDIR (caches shared by runs): $(ls -A "$tmp" | tr '\n' ' ')"
((failed)) && { echo "test-variants: FAILED (--keep keeps the clone and the full logs)"; exit 1; }
echo "test-variants: all variants passed"
