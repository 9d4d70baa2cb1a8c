#!/usr/bin/env bash
# End-to-end benchmark of azsm against its honest baselines on generated corpora.
#
#   scripts/bench.sh [--runs N] [--profile P|all] [--size-mib M] [--seed N] [--cache fresh|mapped|both]
#                    [--compare BIN]
#
# Profiles: agentlog (one 1.2 GiB agent log), copylog (one 350 MiB copy log, a code on every
# line), tree (1.4 GiB in 4,441 files), deep (a second shape: 880 MiB, fewer and larger job
# logs three directories deeper, every line CRLF), bundle (the tree packed as the agent packs a
# support bundle, .tar.zst, and as .tar.gz), small (4 MiB, for smoke runs). `all`: agentlog,
# copylog, tree, deep and bundle.
#
# For each profile: generate the corpus (examples/gencorpus.rs) into target/corpus/<profile>
# unless a matching one is there, check azsm's JSON report against the corpus's expected
# counts (abort when they differ), then, for each page-cache state, time N alternating runs of
#   azsm scan --format json INPUT        (the whole diagnosis)
# against the baseline that does the least a user could run instead:
#   one file:  rg -c '\bAZSM[0-9]{4}\b' FILE     (ripgrep given the file: its mmap path)
#   a tree:    rg -c '\bAZSM[0-9]{4}\b' DIR      (ripgrep walking the directory)
#   a bundle:  zstd -dc B >/dev/null, gzip -dc B >/dev/null   (decompression alone)
# plus, for context, rg -o ... | sort | uniq -c (a count per code, what users do by hand),
# rg -c on the directory for single files, and azsm -j1 / -j2 on agentlog and small.
#
# Page-cache states (--cache, default both): `fresh` drops the corpus from the cache and reads
# it back with read(2), as `cp` or `tar -x` leave a fresh copy; `mapped` drops it and runs azsm
# once, so the cache holds what a previous mapped run faulted in. The state is set again
# before every run, so each run of every command starts from it.
#
# --compare BIN also times a second azsm binary, alternating with the first (an A/B of a
# change: `--compare /path/to/azsm-before`). AZSM=/path/to/binary benchmarks that binary
# instead of building azsm.
#
# Prints per profile, state and command the median, the spread (min-max), GB/s, the ratio to
# the baseline, and azsm's peak RSS; on agentlog also the -j2/-j1 ratio a bare search reaches
# on this machine (examples/ceiling.rs). Smoke run: scripts/bench.sh --runs 1 --profile small
set -euo pipefail

runs=5
profile=all
size=""
seed=42
cache=both
compare=""
usage() { sed -n '2,35s/^# \{0,1\}//p' "$0"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --runs) runs=${2:?--runs needs a value}; shift 2 ;;
        --profile) profile=${2:?--profile needs a value}; shift 2 ;;
        --size-mib) size=${2:?--size-mib needs a value}; shift 2 ;;
        --seed) seed=${2:?--seed needs a value}; shift 2 ;;
        --cache) cache=${2:?--cache needs a value}; shift 2 ;;
        --compare) compare=${2:?--compare needs a binary}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --runs must be a positive integer" >&2; exit 2; }
case $profile in
    all) profiles=(agentlog copylog tree deep bundle) ;;
    agentlog|tree|copylog|deep|bundle|small) profiles=("$profile") ;;
    *) echo "bench.sh: unknown profile '$profile'" >&2; exit 2 ;;
esac
case $cache in
    both) states=(fresh mapped) ;;
    fresh|mapped) states=("$cache") ;;
    *) echo "bench.sh: --cache takes fresh, mapped or both" >&2; exit 2 ;;
esac

abs() { if [[ $1 == */* && $1 != /* ]]; then echo "$PWD/$1"; else echo "$1"; fi; }
[[ -n ${AZSM:-} ]] && AZSM=$(abs "$AZSM")
[[ -n $compare ]] && compare=$(abs "$compare")
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
for tool in zstd gzip tar; do
    command -v $tool >/dev/null || { log "installing $tool"; apt-get install -y -qq $tool >/dev/null 2>&1 || true; }
done
if [[ -n ${AZSM:-} ]]; then
    azsm=$AZSM
    log "using AZSM=$azsm"
else
    cargo build --release
    azsm=target/release/azsm
fi
[[ -z $compare || -x $compare ]] || { log "--compare $compare is not an executable"; exit 2; }
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
# The bundle profile packs the tree corpus.
generate() {
    local p=$1 dir=$corpus/$1
    local stamp="profile=$p seed=$seed size-mib=${size:-default} generator=$gen_sum"
    if [[ -f $dir/expected.json && -f $corpus/$p.stamp && $(cat "$corpus/$p.stamp") == "$stamp" ]]; then
        log "corpus $dir is up to date"
    else
        rm -f "$corpus/$p.stamp"
        "$gen" --out "$dir" --seed "$seed" --profile "$p" ${size:+--size-mib "$size"}
        echo "$stamp" >"$corpus/$p.stamp"
    fi
}
for p in "${profiles[@]}"; do
    if [[ $p == bundle ]]; then
        generate tree
        stamp="$(cat "$corpus/tree.stamp") packed"
        if [[ ! -f $corpus/bundle.stamp || $(cat "$corpus/bundle.stamp") != "$stamp" ]]; then
            log "packing the tree corpus as bundle.tar.zst and bundle.tar.gz"
            mkdir -p "$corpus/bundle"
            tar -C "$corpus/tree" --exclude=expected.json -cf - . | zstd -q -3 -T0 -o "$corpus/bundle/bundle.tar.zst" -f
            tar -C "$corpus/tree" --exclude=expected.json -cf - . | gzip -1 >"$corpus/bundle/bundle.tar.gz"
            cp "$corpus/tree/expected.json" "$corpus/bundle/expected.json"
            echo "$stamp" >"$corpus/bundle.stamp"
        fi
    else
        generate "$p"
    fi
done

# --- 2. correctness ---------------------------------------------------------------------
# Exit status 0 (no findings) and 1 (findings) are both fine; anything else is an error.
ok_status() {
    if [[ $1 -gt 1 ]]; then log "$2 failed with exit status $1"; exit 1; fi
}
# What a profile's azsm runs scan.
input_of() {
    case $1 in
        bundle) echo "$corpus/bundle/bundle.tar.zst" ;;
        *) echo "$corpus/$1" ;;
    esac
}
for p in "${profiles[@]}"; do
    report=$corpus/$p.report.json
    rc=0; "$azsm" scan --format json "$(input_of "$p")" >"$report" || rc=$?
    ok_status "$rc" "azsm scan $(input_of "$p")"
    if [[ $p == bundle ]]; then
        # Entries are named bundle.tar.zst!/...: compare the counts, which do not name paths.
        "$gen" --check "$corpus/bundle/expected.json" "$report" || { log "azsm's counts are wrong on the bundle: aborting"; exit 1; }
    else
        "$gen" --check "$corpus/$p/expected.json" "$report" || { log "azsm's counts are wrong on $p: aborting"; exit 1; }
    fi
done

# --- 3. timings ---------------------------------------------------------------------------
re='\bAZSM[0-9]{4}\b'
run_azsm() { local rc=0; "$@" >/dev/null || rc=$?; ok_status "$rc" "$*"; }
cmd_azsm() { run_azsm "$azsm" scan --format json "$target"; }
cmd_azsmb() { run_azsm "$compare" scan --format json "$target"; }
cmd_azsmgz() { run_azsm "$azsm" scan --format json "$corpus/bundle/bundle.tar.gz"; }
cmd_j1() { run_azsm "$azsm" scan -j1 --format json "$target"; }
cmd_j2() { run_azsm "$azsm" scan -j2 --format json "$target"; }
cmd_rgfile() { local rc=0; rg -c "$re" "$big" >/dev/null || rc=$?; ok_status "$rc" "rg -c FILE"; }
cmd_rgdir() { local rc=0; rg -c "$re" "$dir" >/dev/null || rc=$?; ok_status "$rc" "rg -c DIR"; }
cmd_pipe() { local rc=0; rg -o "$re" "$dir" | sort | uniq -c >/dev/null || rc=$?; ok_status "$rc" "rg -o | sort | uniq -c"; }
cmd_zstd() { zstd -dc "$corpus/bundle/bundle.tar.zst" >/dev/null; }
cmd_gzip() { gzip -dc "$corpus/bundle/bundle.tar.gz" >/dev/null; }
name_of() {
    case $1 in
        azsm) echo "azsm scan" ;;
        azsmb) echo "azsm scan (--compare)" ;;
        azsmgz) echo "azsm scan (.tar.gz)" ;;
        j1) echo "azsm scan -j1" ;;
        j2) echo "azsm scan -j2" ;;
        rgfile) echo "rg -c FILE" ;;
        rgdir) echo "rg -c DIR" ;;
        pipe) echo "rg -o | sort | uniq -c" ;;
        zstd) echo "zstd -dc" ;;
        gzip) echo "gzip -dc" ;;
    esac
}
# Seconds taken by one call of the named function, from a nanosecond clock.
time_one() {
    local t0 t1
    t0=$(date +%s%N); "$1"; t1=$(date +%s%N)
    awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.4f\n", ns / 1e9 }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f-%.3f", lo, hi }'; }
peak_rss_kib() {
    if [[ -n $timev ]]; then
        "$timev" -v -o "$tmp/timev" "$azsm" scan --format json "$target" >/dev/null || true
        awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/timev"
    else
        python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$azsm" scan --format json "$target"
    fi
}
# Drops the profile's files from the page cache; `fresh` then reads them back with read(2) (as
# a copy leaves them, in large folios), `mapped` runs azsm once (its mapping faults them in).
set_cache() {
    sync
    find "$dir" -type f -print0 | python3 -c '
import os, sys
back = sys.argv[1] == "fresh"
for path in sys.stdin.buffer.read().split(b"\0"):
    if not path:
        continue
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except (AttributeError, OSError) as e:
        print(f"bench.sh: cannot drop {os.fsdecode(path)} from the page cache: {e}", file=sys.stderr)
    while back and os.read(fd, 1 << 20):
        pass
    os.close(fd)' "$1"
    if [[ $1 == mapped ]]; then "$azsm" scan -q --format json "$target" >/dev/null || true; fi
}

rows=()
j_ratio=()
corpora=()
for p in "${profiles[@]}"; do
    dir=$corpus/$p
    target=$(input_of "$p")
    bytes=$(find "$dir" -type f ! -name expected.json -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
    [[ $p == bundle ]] && bytes=$(find "$corpus/tree" -type f ! -name expected.json -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
    big=$(find "$dir" -type f ! -name expected.json -printf '%s %p\n' | sort -n | tail -n1 | cut -d' ' -f2-)
    case $p in
        agentlog|copylog) base=rgfile; cmds=(azsm rgfile rgdir pipe) ;;
        tree|deep|small) base=rgdir; cmds=(azsm rgdir pipe) ;;
        bundle) base=zstd; cmds=(azsm zstd azsmgz gzip) ;;
    esac
    [[ -n $compare ]] && cmds=(azsm azsmb "${cmds[@]:1}")
    [[ $p == agentlog || $p == small ]] && cmds+=(j1 j2)
    files=$(find "$dir" -type f ! -name expected.json | wc -l)
    events=$(grep -m1 '"events"' "$dir/expected.json" | tr -dc 0-9)
    corpora+=("$(awk -v p="$p" -v b="$bytes" -v f="$files" -v e="$events" \
        'BEGIN { printf "%-9s %8.1f MiB in %5d files, %8d events", p, b / 1048576, f, e }')")
    for s in "${states[@]}"; do
        for ((i = 1; i <= runs; i++)); do
            log "$p ($s cache): run $i/$runs"
            for c in "${cmds[@]}"; do
                set_cache "$s"
                time_one "cmd_$c" >>"$tmp/$p.$s.$c"
            done
        done
        declare -A med=()
        for c in "${cmds[@]}"; do med[$c]=$(median <"$tmp/$p.$s.$c"); done
        set_cache "$s"
        rss=$(peak_rss_kib)
        rss=${rss:-0}
        for c in "${cmds[@]}"; do
            r=-
            [[ $c == azsm ]] && r=$((rss / 1024))
            # A .tar.gz run is held against gzip, the rest against the profile's baseline.
            b=${med[$base]}
            [[ $c == azsmgz || $c == gzip ]] && b=${med[gzip]}
            rows+=("$(awk -v p="$p" -v s="$s" -v n="$(name_of "$c")" -v t="${med[$c]}" -v sp="$(spread <"$tmp/$p.$s.$c")" \
                -v by="$bytes" -v b="$b" -v r="$r" \
                'BEGIN { printf "%-9s %-7s %-24s %9.3f %13s %7.2f %8.2f %8s", p, s, n, t, sp, by / 1e9 / t, t / b, r }')")
        done
        if [[ -n ${med[j1]:-} ]]; then
            j_ratio+=("$(awk -v p="$p" -v s="$s" -v a="${med[j1]}" -v b="${med[j2]}" 'BEGIN { printf "%s (%s cache): -j2/-j1 throughput = %.2fx", p, s, a / b }')")
        fi
        unset med
    done
    if [[ $p == agentlog ]]; then
        # What a bare search and newline count of the same file reaches (examples/ceiling.rs).
        log "$p: the bare scan's -j2/-j1 ceiling"
        set_cache fresh
        while IFS= read -r line; do j_ratio+=("$p: $line"); done < <(target/release/examples/ceiling "$big" --runs "$runs")
    fi
done

# --- 4. report ----------------------------------------------------------------------------
echo
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "rg:      $(rg --version | head -n1)"
echo "azsm:    $("$azsm" --version 2>/dev/null | head -n1 || true) ($azsm)"
[[ -n $compare ]] && echo "compare: $("$compare" --version 2>/dev/null | head -n1 || true) ($compare)"
echo "runs:    $runs per command, alternating, each from the page-cache state named, LC_ALL=C, corpus seed $seed"
for c in "${corpora[@]}"; do echo "corpus:  $c"; done
echo
printf '%-9s %-7s %-24s %9s %13s %7s %8s %8s\n' profile cache command "median s" "min-max s" "GB/s" "t/base" "RSS MiB"
for row in "${rows[@]}"; do echo "$row"; done
echo
echo "t/base: wall-time ratio to the profile's baseline on the same corpus and cache state (below 1:"
echo "faster): rg -c FILE for one file, rg -c DIR for a tree, zstd -dc (gzip -dc for .tar.gz) for a bundle."
echo "GB/s: uncompressed bytes over the median. RSS: azsm's peak."
for j in "${j_ratio[@]}"; do echo "$j"; done
