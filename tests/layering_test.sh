#!/usr/bin/env bash
# The layers include only downwards (README "Layout", each folder's main
# header):
#   app/  ->  replay/  ->  projections/  ->  engine/ | events/  ->  common/
# engine/ and events/ do not include each other; inside app/, the command
# service (app/ledger) is below the importers and the workload, which are
# below the HTTP service and the CLI. The pure core (engine/) includes no
# storage, network, file or thread header, and common/ nothing generated
# from the schemas. Every include against the direction is named with its
# file and line.
set -uo pipefail
cd "$(dirname "$0")/.."

# The layers each one may include (besides itself).
declare -A allowed=(
  [common]=""
  [engine]="common"
  [events]="common"
  [projections]="common engine events"
  [replay]="common engine events projections"
  [app/ledger]="common engine events projections replay"
  [app/import]="common engine events projections replay app/ledger"
  [app/workload]="common engine events projections replay app/ledger"
  [app/http]="common engine events projections replay app/ledger app/import"
  [app/cli]="common engine events projections replay app/ledger app/import app/workload app/http"
)
layer_of() {
  case "$1" in
    app/*) echo "$1" | cut -d/ -f1-2 ;;
    *) echo "$1" | cut -d/ -f1 ;;
  esac
}

violations=()
checked=0
while IFS= read -r file; do
  layer=$(layer_of "$file")
  [[ -v "allowed[$layer]" ]] || { violations+=("$file: in no layer ($layer/ is not one of ${!allowed[*]})"); continue; }
  checked=$((checked + 1))
  while IFS=: read -r line text; do
    inc=$(sed -E 's/^#include "([^"]+)".*/\1/' <<<"$text")
    case "$inc" in
      *_generated.h)
        [[ $layer == common ]] && violations+=("$file:$line: includes $inc (common/ includes nothing of the project)")
        continue ;;
      builtin_policies.h)
        [[ $layer == engine ]] || violations+=("$file:$line: includes $inc (the built-in policies are the engine's)")
        continue ;;
    esac
    target=$(layer_of "$inc")
    [[ $target == "$layer" ]] && continue
    ok=0
    for a in ${allowed[$layer]}; do [[ $a == "$target" ]] && ok=1; done
    if [[ $ok == 0 ]]; then
      violations+=("$file:$line: includes $inc ($layer/ may include only: ${allowed[$layer]:-nothing of the project})")
    fi
  done < <(grep -n '^#include "' "$file")
done < <(git ls-files common engine events projections replay app | grep -E '\.(h|cc)$')

# The pure core: no storage, network, files, threads.
while IFS= read -r hit; do
  violations+=("$hit (engine/ is pure: no RocksDB, librdkafka, HTTP, files or threads)")
done < <(grep -nE '#include <(rocksdb/|librdkafka/|httplib|boost/beast|boost/asio|fstream|filesystem|thread|future)' \
           $(git ls-files engine | grep -E '\.(h|cc)$'))

# Each folder's main header opens with what the layer owns and what it must
# never do.
declare -A main_header=(
  [common]=common/status.h [engine]=engine/decide.h [events]=events/event_log.h
  [projections]=projections/store.h [replay]=replay/replay.h [app/ledger]=app/ledger/service.h
  [app/import]=app/import/cfpb_import.h [app/workload]=app/workload/workload.h
  [app/http]=app/http/server.h [app/cli]=app/cli/cli.h
)
for layer in "${!main_header[@]}"; do
  h=${main_header[$layer]}
  contract=$(awk '/^\/\//{print; next} {exit}' "$h" 2>/dev/null)
  if ! grep -q "^// Layer $layer" <<<"$contract" || ! grep -q 'never' <<<"$contract"; then
    violations+=("$h: the main header of $layer/ must open with '// Layer $layer...' saying what it owns and what it must never do")
  fi
done

if [[ $checked -eq 0 ]]; then echo "no source files found"; echo "0 passed, 1 failed"; exit 1; fi
if [[ ${#violations[@]} -gt 0 ]]; then
  echo "against the layering:"
  printf '  %s\n' "${violations[@]}"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "$checked files include only the layers below them"
echo "1 passed, 0 failed"
