#!/usr/bin/env bash
# Invariant 5: no wall-clock read in the deciders, folds, projections or
# replay. The system clock is read in one place (common/time.cc, SystemClock)
# and chosen in one place (app/cli/main.cc); everything else takes time as input.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
wall=$(grep -rnE 'system_clock|SystemClock|gettimeofday|clock_gettime|time\((nullptr|NULL|0)\)|localtime|gmtime' \
         common engine events projections replay app benchmarks --include='*.cc' --include='*.h' \
       | grep -vE '^common/time\.(h|cc):|^app/cli/main\.cc:')
if [[ -n "$wall" ]]; then echo "wall-clock reads outside common/time.cc and main.cc:"; echo "$wall"; fail=1; fi
# The pure core reads no clock of any kind.
pure=$(grep -nE 'chrono|Clock|Now\(\)' engine/decide*.cc engine/evolve.cc engine/state.h engine/decide.h \
         projections/projector.cc projections/views.cc projections/queries.cc replay/history.cc)
if [[ -n "$pure" ]]; then echo "clock use in the pure core:"; echo "$pure"; fail=1; fi
if [[ $fail -eq 0 ]]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
