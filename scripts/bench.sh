#!/usr/bin/env bash
# Times whole processes side by side, in one run, on this machine, and prints the
# growth tables in markdown (paste them into BENCHMARKS.md):
#   1. `warden-agent check --user` and `warden explain` on homes with 20 / 200 / 2,000 /
#      8,000 connections, against /bin/true (the cost of spawning any process);
#   2. `warden validate` over 10 / 100 / 1,000 / 10,000 generated JSON profiles, against
#      `check-jsonschema --schemafile schemas/profile.schema.json` on the same files;
#   3. `warden compile` of 1 / 100 / 1,000 profiles: an org baseline and the team
#      profiles that extend it.
# Every figure is a hyperfine median (min/max and run count alongside), plus peak
# memory (/usr/bin/time -v) at the largest size and the stripped size of
# warden-agent. Needs: hyperfine, /usr/bin/time, python3; check-jsonschema from
# .ci/setup-interop (the comparison is skipped, loudly, if missing). Measures the
# shipped (`dist`) builds.
# Environment: BENCH_MIN_RUNS (default 10) runs at least that many times each of our
# commands; BENCH_PEER_RUNS (default 3) each check-jsonschema run over 1,000 files or
# more, which take seconds apiece.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

# Install the timing tools when we can (CI machines and fresh containers run as root).
missing=()
command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "bench: please install ${missing[*]}" >&2
        exit 2
    fi
fi
min_runs="${BENCH_MIN_RUNS:-10}"
peer_runs="${BENCH_PEER_RUNS:-3}"

# Two builds: built together, cargo would unify features and the agent would link
# the admin CLI's schema support.
cargo build --profile dist -q -p warden-cli
cargo build --profile dist -q -p warden-agent
target="${CARGO_TARGET_DIR:-$repo/target}"
warden="$target/dist/warden"
agent="$target/dist/warden-agent"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
results="$work/results.tsv"
: > "$results"

peak_kib() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'; }
q() { printf '%q ' "$@"; }

# time_cmd SERIES SIZE LABEL HYPERFINE-OPTIONS... -- COMMAND...
# Runs hyperfine on COMMAND and appends one row to the results. A COMMAND of one
# word goes to hyperfine as it is (a shell line, with -S); more words are quoted.
time_cmd() {
    local series="$1" size="$2" label="$3"
    shift 3
    local opts=()
    while [ "$1" != "--" ]; do opts+=("$1"); shift; done
    shift
    local json="$work/run-$RANDOM$RANDOM.json" cmd
    if [ "$#" -eq 1 ]; then cmd="$1"; else cmd="$(q "$@")"; fi
    hyperfine "${opts[@]}" --export-json "$json" -n "$label" "$cmd" >/dev/null 2>&1
    python3 - "$json" "$series" "$size" "$label" >>"$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("\t".join([sys.argv[2], sys.argv[3], sys.argv[4],
                 "%.6f" % r["median"], "%.6f" % r["min"], "%.6f" % r["max"], str(len(r["times"]))]))
PY
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "rustc:   $(rustc --version)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# --- the spawn floor -----------------------------------------------------------------
time_cmd floor 1 /bin/true -N --warmup 5 --runs 200 -- /bin/true

# --- 1. agent check and explain on homes with many connections ------------------------
# A signed bundle for the agent: compile the baseline with a throwaway dev key.
mkdir -p "$work/root/etc/warden"
(cd "$work" && SOURCE_DATE_EPOCH="$(date +%s)" "$warden" compile "$repo/profiles/examples/org-baseline.toml" --out dist >/dev/null)
cp "$work/dist/acme-baseline/bundle.dsse.json" "$work/root/etc/warden/bundle.dsse.json"
cp "$work/.warden-dev/trust-root.json" "$work/root/etc/warden/trust-root.json"

make_home() { # make_home DIR N: a home whose connections.toml holds N connections
    local home="$1" n="$2"
    mkdir -p "$home/.snowflake"
    chmod 700 "$home/.snowflake"
    awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
        printf "[conn%05d]\naccount = \"acme-prod%05d\"\nuser = \"user%05d\"\nauthenticator = \"externalbrowser\"\nrole = \"ANALYST\"\nwarehouse = \"WH\"\n\n", i, i, i }' \
        > "$home/.snowflake/connections.toml"
    chmod 600 "$home/.snowflake/connections.toml"
    printf 'default_connection_name = "conn00001"\n' > "$home/.snowflake/config.toml"
    chmod 600 "$home/.snowflake/config.toml"
}

audit_sizes=(20 200 2000 8000)
for n in "${audit_sizes[@]}"; do
    home="$work/home-$n"
    make_home "$home" "$n"
    echo "$n" "$(stat -c %s "$home/.snowflake/connections.toml")" >> "$work/home-sizes"
    check=("$agent" check --user --home "$home" --root "$work/root" --format json)
    "${check[@]}" >/dev/null || true   # exit 1 (non-compliant) is expected
    time_cmd audit "$n" "warden-agent check --user" -N -i --warmup 1 --min-runs "$min_runs" -- "${check[@]}"
    explain=("$warden" explain "$repo/profiles/examples/org-baseline.toml" --connections "$home/.snowflake/connections.toml" --format json)
    time_cmd explain "$n" "warden explain" -N -i --warmup 1 --min-runs "$min_runs" -- "${explain[@]}"
done
largest="$work/home-${audit_sizes[-1]}"
audit_peak="$(peak_kib "$agent" check --user --home "$largest" --root "$work/root" --format json || true)"
audit_small_peak="$(peak_kib "$agent" check --user --home "$work/home-20" --root "$work/root" --format json || true)"
cp "$agent" "$work/agent-stripped" && strip "$work/agent-stripped" 2>/dev/null || true
agent_size="$(stat -c %s "$work/agent-stripped")"

# --- 2. validate many JSON profiles against check-jsonschema ---------------------------
checker=""
for c in check-jsonschema "${WARDEN_INTEROP_VENV:-target/interop-venv}/bin/check-jsonschema"; do
    command -v "$c" >/dev/null 2>&1 && { checker="$(command -v "$c")"; break; }
done
validate_sizes=(10 100 1000 10000)
for n in "${validate_sizes[@]}"; do
    dir="$work/profiles-$n"
    mkdir -p "$dir"
    python3 - "$dir" "$n" <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    p = {
        "profile": {"id": f"team-{i:05d}", "name": f"Team {i}", "organization": "Acme", "serial": i + 1},
        "accounts": {"allow": [f"acme-team{i}*", "acme-shared"], "deny": [f"acme-team{i}-sandbox"]},
        "authenticators": {"forbidden": ["SNOWFLAKE", "USERNAME_PASSWORD_MFA"]},
        "connection": {"required_name": "acme", "default_role": "ANALYST", "forbidden_roles": ["ACCOUNTADMIN"],
                       "template": {"account": "acme-shared", "authenticator": "externalbrowser"}},
        "cortex": {"permissions": {"default_mode": "allow", "deny": ["bash(rm:*)"]},
                   "settings": {"force_no_history_mode": True}, "required": {"minimum_version": "1.1.89"}},
    }
    with open(f"{out}/{i:05d}.json", "w") as f:
        json.dump(p, f, indent=2)
PY
    # Both tools must accept every file, or the comparison means nothing.
    "$warden" validate "$dir" >/dev/null 2>&1 || { echo "bench: warden validate rejects the generated profiles" >&2; exit 1; }
    time_cmd validate "$n" "warden validate" -N --warmup 2 --min-runs "$min_runs" -- "$warden" validate "$dir"
    if [ -n "$checker" ]; then
        runs=("--warmup" 1 "--min-runs" "$min_runs")
        [ "$n" -ge 1000 ] && runs=("--warmup" 0 "--runs" "$peer_runs")
        # A shell expands the file list: 10,000 names do not fit hyperfine's own argument.
        time_cmd peer "$n" "check-jsonschema" -S bash "${runs[@]}" -- \
            "cd $(q "$dir") && exec $(q "$checker") --schemafile $(q "$repo/schemas/profile.schema.json") -- *.json"
    fi
done
validate_peak="$(peak_kib "$warden" validate "$work/profiles-${validate_sizes[-1]}" || true)"

# --- 3. compile an org baseline and the team profiles that extend it -------------------
compile_sizes=(1 100 1000)
for n in "${compile_sizes[@]}"; do
    fleet="$work/fleet-$n"
    mkdir -p "$fleet"
    sed '/^#:schema/d' "$repo/profiles/examples/org-baseline.toml" > "$fleet/org.toml"
    awk -v n="$n" -v dir="$fleet" 'BEGIN { for (i = 1; i < n; i++) {
        f = sprintf("%s/team-%04d.toml", dir, i)
        printf "extends = \"org.toml\"\n\n[profile]\nid = \"team-%04d\"\nname = \"Team %d\"\nserial = 2\n\n[accounts]\nallow = [\"acme-team%04d*\"]\n\n[connection]\nrequired_name = \"team-%04d\"\n\n[connection.template]\naccount = \"acme-team%04d-prod\"\nauthenticator = \"externalbrowser\"\n", i, i, i, i, i > f
        close(f) } }'
    "$warden" validate "$fleet" >/dev/null 2>&1 || { echo "bench: the generated fleet does not validate" >&2; "$warden" validate "$fleet" | head -20 >&2; exit 1; }
    (cd "$work" && time_cmd compile "$n" "warden compile" -N --warmup 1 --min-runs "$min_runs" -- "$warden" compile "$fleet" --out "$work/out-$n")
done
compile_peak="$(cd "$work" && peak_kib "$warden" compile "$work/fleet-${compile_sizes[-1]}" --out "$work/out-peak" || true)"

echo "load average at end:   $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# --- the tables -------------------------------------------------------------------------
python3 - "$results" "$work/home-sizes" "$audit_small_peak" "$audit_peak" "$agent_size" \
    "$validate_peak" "$compile_peak" "${checker:+yes}" <<'PY'
import math, sys
from collections import defaultdict

rows = defaultdict(dict)  # series -> size -> (median, min, max, runs)
for line in open(sys.argv[1]):
    series, size, _, med, lo, hi, runs = line.rstrip("\n").split("\t")
    rows[series][int(size)] = (float(med), float(lo), float(hi), int(runs))
home_bytes = dict(map(int, l.split()) for l in open(sys.argv[2]))
small_peak, audit_peak, agent_size, validate_peak, compile_peak, have_peer = (sys.argv[3:] + [""])[:6]

def ms(s):
    return f"{s * 1000:.1f} ms" if s >= 0.01 else f"{s * 1000:.2f} ms"

def cell(series, n):
    med, lo, hi, runs = rows[series][n]
    return f"**{ms(med)}** ({ms(lo)}–{ms(hi)}, {runs} runs)"

def growth(series, sizes):
    """The exponent k in time ∝ size^k from one size to the next (1 linear, 2 quadratic)."""
    out = ["–"]
    for a, b in zip(sizes, sizes[1:]):
        ta, tb = rows[series][a][0], rows[series][b][0]
        out.append(f"{math.log(tb / ta) / math.log(b / a):.2f}")
    return out

floor = rows["floor"][1][0]
print(f"Spawn floor (`/bin/true`): {cell('floor', 1)}. Medians, with min–max and the number of runs.")
print("Growth k: the exponent in time ∝ size^k from the row above (1 = linear, 2 = quadratic);")
print("where the spawn floor dominates a row, k says little.")
print()

sizes = sorted(rows["audit"])
print("| connections | connections.toml | `warden-agent check --user` | k | `warden explain` | k |")
print("|---:|---:|---|---:|---|---:|")
for n, ga, ge in zip(sizes, growth("audit", sizes), growth("explain", sizes)):
    print(f"| {n:,} | {home_bytes[n] / 1024:,.0f} KiB | {cell('audit', n)} | {ga} | {cell('explain', n)} | {ge} |")
big, small = sizes[-1], sizes[1]
print()
print(f"{big:,} connections take {rows['audit'][big][0] / rows['audit'][small][0]:.0f}× the time of {small:,} "
      f"(`check --user`), {rows['explain'][big][0] / rows['explain'][small][0]:.0f}× (`explain`). "
      f"Peak memory of `check --user`: {int(small_peak) / 1024:.1f} MiB at {sizes[0]} connections, "
      f"{int(audit_peak) / 1024:.1f} MiB at {big:,}; `warden-agent` stripped: {int(agent_size) / 2**20:.1f} MiB.")
print()

sizes = sorted(rows["validate"])
print("| JSON profiles | `warden validate` | per profile | k | `check-jsonschema` | per profile | k | ratio |")
print("|---:|---|---:|---:|---|---:|---:|---:|")
gp = growth("peer", sizes) if have_peer else ["–"] * len(sizes)
for n, gv, gpp in zip(sizes, growth("validate", sizes), gp):
    ours = rows["validate"][n][0]
    if have_peer:
        theirs = rows["peer"][n][0]
        peer = f"{cell('peer', n)} | {theirs / n * 1e6:,.0f} µs | {gpp} | **{theirs / ours:.0f}×**"
    else:
        peer = "not installed | | |"
    print(f"| {n:,} | {cell('validate', n)} | {ours / n * 1e6:,.1f} µs | {gv} | {peer} |")
print()
print(f"Peak memory of `warden validate` over {sizes[-1]:,} profiles: {int(validate_peak) / 1024:.1f} MiB.")
if not have_peer:
    print("\n!!! check-jsonschema not installed (run .ci/setup-interop): comparison SKIPPED")
print()

sizes = sorted(rows["compile"])
print("| profiles (baseline + children) | `warden compile` | per profile | k |")
print("|---:|---|---:|---:|")
for n, g in zip(sizes, growth("compile", sizes)):
    print(f"| {n:,} | {cell('compile', n)} | {rows['compile'][n][0] / n * 1000:.2f} ms | {g} |")
print()
print(f"Peak memory of `warden compile` of {sizes[-1]:,} profiles: {int(compile_peak) / 1024:.1f} MiB.")
PY
