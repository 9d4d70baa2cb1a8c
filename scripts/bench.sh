#!/usr/bin/env bash
# End-to-end benchmark of azsm against ripgrep on generated corpora.
#
#   scripts/bench.sh [--runs N] [--profile agentlog|tree|copylog|small|all] [--size-mib M] [--seed N]
#
# For each profile: generate the corpus (examples/gencorpus.rs) into target/corpus/<profile>
# unless a matching one is there, check azsm's JSON report against the corpus's expected
# counts (abort when they differ), drop the corpus from the page cache and read it back (see
# below), then time N runs of
#   azsm scan --format json DIR
#   rg -c '\bAZSM[0-9]{4}\b' DIR
#   rg -o '\bAZSM[0-9]{4}\b' DIR | sort | uniq -c
# (plus azsm -j1 and -j2 on agentlog and small, and rg -c on agentlog's one file), and print
# medians, GB/s, time ratios and azsm's peak RSS; on agentlog, also the -j2/-j1 ratio a bare
# search reaches on this machine (examples/ceiling.rs). Defaults: 5 runs, profiles agentlog, tree and copylog (~3 GiB on disk).
# Environment: AZSM=/path/to/binary benchmarks that binary instead of building azsm.
# CI smoke run (well under a minute once built): scripts/bench.sh --runs 1 --profile small
set -euo pipefail

runs=5
profile=all
size=""
seed=42
usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --runs) runs=${2:?--runs needs a value}; shift 2 ;;
        --profile) profile=${2:?--profile needs a value}; shift 2 ;;
        --size-mib) size=${2:?--size-mib needs a value}; shift 2 ;;
        --seed) seed=${2:?--seed needs a value}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --runs must be a positive integer" >&2; exit 2; }
case $profile in
    all) profiles=(agentlog tree copylog) ;;
    agentlog|tree|copylog|small) profiles=("$profile") ;;
    *) echo "bench.sh: unknown profile '$profile'" >&2; exit 2 ;;
esac

if [[ -n ${AZSM:-} && $AZSM == */* && $AZSM != /* ]]; then AZSM=$PWD/$AZSM; fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LC_ALL=C # the same, and the fastest, sort for every run
corpus=target/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log() { echo "bench.sh: $*" >&2; }

# --- 1. tools, binaries, corpora ----------------------------------------------------------
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v rg >/dev/null; then
    log "installing ripgrep"
    cargo install ripgrep --locked
fi
if [[ -n ${AZSM:-} ]]; then
    azsm=$AZSM
    log "using AZSM=$azsm"
else
    cargo build --release
    azsm=target/release/azsm
fi
cargo build --release --example gencorpus --example ceiling
gen=target/release/examples/gencorpus

timev=/usr/bin/time
if [[ ! -x $timev ]]; then
    log "installing GNU time"
    { apt-get update -qq && apt-get install -y -qq time; } >/dev/null 2>&1 || true
fi
[[ -x $timev ]] || { timev=""; log "no /usr/bin/time: measuring peak RSS with python"; }

mkdir -p "$corpus"
gen_sum=$(sha256sum examples/gencorpus.rs | cut -c1-16)
for p in "${profiles[@]}"; do
    dir=$corpus/$p
    stamp="profile=$p seed=$seed size-mib=${size:-default} generator=$gen_sum"
    if [[ -f $dir/expected.json && -f $corpus/$p.stamp && $(cat "$corpus/$p.stamp") == "$stamp" ]]; then
        log "corpus $dir is up to date"
    else
        rm -f "$corpus/$p.stamp"
        "$gen" --out "$dir" --seed "$seed" --profile "$p" ${size:+--size-mib "$size"}
        echo "$stamp" >"$corpus/$p.stamp"
    fi
done

# --- 2. correctness ---------------------------------------------------------------------
# Exit status 0 (no findings) and 1 (findings) are both fine; anything else is an error.
ok_status() {
    if [[ $1 -gt 1 ]]; then log "$2 failed with exit status $1"; exit 1; fi
}
for p in "${profiles[@]}"; do
    report=$corpus/$p.report.json
    rc=0; "$azsm" scan --format json "$corpus/$p" >"$report" || rc=$?
    ok_status "$rc" "azsm scan $corpus/$p"
    "$gen" --check "$corpus/$p/expected.json" "$report" || { log "azsm's counts are wrong on $p: aborting"; exit 1; }
done

# --- 3. timings ---------------------------------------------------------------------------
re='\bAZSM[0-9]{4}\b'
cmd_azsm() { local rc=0; "$azsm" scan --format json "$dir" >/dev/null || rc=$?; ok_status "$rc" azsm; }
cmd_j1() { local rc=0; "$azsm" scan -j1 --format json "$dir" >/dev/null || rc=$?; ok_status "$rc" "azsm -j1"; }
cmd_j2() { local rc=0; "$azsm" scan -j2 --format json "$dir" >/dev/null || rc=$?; ok_status "$rc" "azsm -j2"; }
cmd_rgc() { local rc=0; rg -c "$re" "$dir" >/dev/null || rc=$?; ok_status "$rc" "rg -c"; }
cmd_rgfile() { local rc=0; rg -c "$re" "$big" >/dev/null || rc=$?; ok_status "$rc" "rg -c FILE"; }
cmd_pipe() { local rc=0; rg -o "$re" "$dir" | sort | uniq -c >/dev/null || rc=$?; ok_status "$rc" "rg -o | sort | uniq -c"; }
# Seconds taken by one call of the named function, from a nanosecond clock.
time_one() {
    local t0 t1
    t0=$(date +%s%N); "$1"; t1=$(date +%s%N)
    awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.4f\n", ns / 1e9 }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
peak_rss_kib() {
    if [[ -n $timev ]]; then
        "$timev" -v -o "$tmp/timev" "$azsm" scan --format json "$dir" >/dev/null || true
        awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/timev"
    else
        python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$azsm" scan --format json "$dir"
    fi
}

rows=()
j_ratio=()
corpora=()
for p in "${profiles[@]}"; do
    dir=$corpus/$p
    bytes=$(find "$dir" -type f ! -name expected.json -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
    cmds=(azsm rgc pipe)
    [[ $p == agentlog || $p == small ]] && cmds+=(j1 j2)
    # The issue's reference point: `rg -c` on the one big log (mapped, one thread).
    big=$(find "$dir" -type f ! -name expected.json -printf '%s %p\n' | sort -n | tail -n1 | cut -d' ' -f2-)
    [[ $p == agentlog ]] && cmds+=(rgfile)
    files=$(find "$dir" -type f ! -name expected.json | wc -l)
    events=$(grep -m1 '"events"' "$dir/expected.json" | tr -dc 0-9)
    corpora+=("$(awk -v p="$p" -v b="$bytes" -v f="$files" -v e="$events" \
        'BEGIN { printf "%-9s %8.1f MiB in %5d files, %8d events", p, b / 1048576, f, e }')")
    # How a file came into the page cache decides the kernel's work for both tools: a file
    # the cache got through page faults (a first run that mapped it) is held in 4 KiB pages
    # and costs a mapping program twice its user time in the kernel; one read with read(2)
    # is held in large folios. So the corpus is dropped from the cache and read back with
    # read(2), whatever ran before: every run, and both tools, start from the same cache.
    log "$p: dropping the corpus from the page cache and reading it back ($((bytes / 1048576)) MiB)"
    sync
    find "$dir" -type f -print0 | python3 -c '
import os, sys
for path in sys.stdin.buffer.read().split(b"\0"):
    if not path:
        continue
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except (AttributeError, OSError) as e:
        # Not on this system: the file is only read, as it was.
        print(f"bench.sh: cannot drop {os.fsdecode(path)} from the page cache: {e}", file=sys.stderr)
    while os.read(fd, 1 << 20):
        pass
    os.close(fd)'
    cmd_azsm
    for ((i = 1; i <= runs; i++)); do
        log "$p: run $i/$runs"
        for c in "${cmds[@]}"; do time_one "cmd_$c" >>"$tmp/$p.$c"; done
    done
    declare -A med=()
    for c in "${cmds[@]}"; do med[$c]=$(median <"$tmp/$p.$c"); done
    rss=$(peak_rss_kib)
    rss=${rss:-0}
    for c in "${cmds[@]}"; do
        case $c in
            azsm) name="azsm scan"; r=$((rss / 1024)) ;;
            j1) name="azsm scan -j1"; r=- ;;
            j2) name="azsm scan -j2"; r=- ;;
            rgc) name="rg -c"; r=- ;;
            rgfile) name="rg -c FILE (the big log)"; r=- ;;
            pipe) name="rg -o | sort | uniq -c"; r=- ;;
        esac
        rows+=("$(awk -v p="$p" -v n="$name" -v t="${med[$c]}" -v b="$bytes" -v rc="${med[rgc]}" -v pp="${med[pipe]}" -v r="$r" \
            'BEGIN { printf "%-9s %-24s %9.3f %8.3f %10.2f %10.2f %9s", p, n, t, b / 1e9 / t, t / rc, t / pp, r }')")
    done
    if [[ -n ${med[j1]:-} ]]; then
        j_ratio+=("$(awk -v p="$p" -v a="${med[j1]}" -v b="${med[j2]}" 'BEGIN { printf "%s: -j2/-j1 throughput = %.2fx", p, a / b }')")
    fi
    if [[ $p == agentlog ]]; then
        # What a bare search and newline count of the same file reaches (examples/ceiling.rs).
        log "$p: the bare scan's -j2/-j1 ceiling"
        while IFS= read -r line; do j_ratio+=("$p: $line"); done < <(target/release/examples/ceiling "$big" --runs "$runs")
    fi
    unset med
done

# --- 4. report ----------------------------------------------------------------------------
echo
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "rg:      $(rg --version | head -n1)"
echo "azsm:    $("$azsm" --version 2>/dev/null | head -n1 || true) ($azsm)"
echo "runs:    $runs per command, page cache warm (the corpus dropped from it and read back), LC_ALL=C, corpus seed $seed"
for c in "${corpora[@]}"; do echo "corpus:  $c"; done
echo
printf '%-9s %-24s %9s %8s %10s %10s %9s\n' profile command "median s" "GB/s" "t/t(rg-c)" "t/t(pipe)" "RSS MiB"
for row in "${rows[@]}"; do echo "$row"; done
echo
echo "t/t(x): wall-time ratio to that command on the same corpus (below 1: faster); RSS: azsm's peak"
for j in "${j_ratio[@]}"; do echo "$j"; done
