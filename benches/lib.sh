# Shared by the timing scripts in this folder; source it, with $runs set.

# best_of CMD... : prints the smallest wall time in seconds over $runs runs
# of CMD (output discarded; a failing run stops the script).
best_of() {
    best=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        start=$(date +%s%N)
        "$@" >/dev/null 2>&1 </dev/null || { echo "failed: $*" >&2; exit 1; }
        end=$(date +%s%N)
        t=$(( end - start ))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
        i=$(( i + 1 ))
    done
    awk -v ns="$best" 'BEGIN { printf "%.3f", ns / 1e9 }'
}
