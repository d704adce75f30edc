#!/usr/bin/env bash
# Times whole processes side by side, in one run, on this machine:
#   1. `warden-agent check --user` on a home with 20 connections, against /bin/true
#      (the cost of spawning any process);
#   2. `warden validate` over 1,000 generated JSON profiles, against
#      `check-jsonschema --schemafile schemas/profile.schema.json` on the same files.
# Prints medians and ratios, peak memory (/usr/bin/time -v) and the stripped size of
# warden-agent. Needs: hyperfine, /usr/bin/time; check-jsonschema from
# .ci/setup-interop (skipped, loudly, if missing). Measures the shipped (`dist`) builds.
set -euo pipefail
cd "$(dirname "$0")/.."

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

# Two builds: built together, cargo would unify features and the agent would link
# the admin CLI's schema support.
cargo build --profile dist -q -p warden-cli
cargo build --profile dist -q -p warden-agent
warden="${CARGO_TARGET_DIR:-$PWD/target}/dist/warden"
agent="${CARGO_TARGET_DIR:-$PWD/target}/dist/warden-agent"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

peak_kib() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'; }
median_ms() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.2f" % (x["median"]*1000) for x in r))' "$1"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "rustc:   $(rustc --version)"
echo

# --- 1. agent check on a home with 20 connections -----------------------------------
home="$work/home"
mkdir -p "$home/.snowflake" "$work/root"
chmod 700 "$home/.snowflake"
{
    for i in $(seq 1 20); do
        printf '[conn%02d]\naccount = "acme-prod%02d"\nuser = "user%02d"\nauthenticator = "externalbrowser"\nrole = "ANALYST"\nwarehouse = "WH"\n\n' "$i" "$i" "$i"
    done
} > "$home/.snowflake/connections.toml"
chmod 600 "$home/.snowflake/connections.toml"
printf 'default_connection_name = "conn01"\n' > "$home/.snowflake/config.toml"
chmod 600 "$home/.snowflake/config.toml"
# A signed bundle for the agent: compile the baseline with a throwaway dev key.
(cd "$work" && SOURCE_DATE_EPOCH="$(date +%s)" "$warden" compile "$OLDPWD/profiles/examples/org-baseline.toml" --out dist >/dev/null)
bundle_dir="$work/root"
"$agent" --help >/dev/null
agent_cmd=("$agent" check --user --home "$home" --root "$bundle_dir" --format json)
# Place the bundle and trust root where the agent looks under --root.
mkdir -p "$bundle_dir/etc/warden"
cp "$work/dist/acme-baseline/bundle.dsse.json" "$bundle_dir/etc/warden/bundle.dsse.json"
cp "$work/.warden-dev/trust-root.json" "$bundle_dir/etc/warden/trust-root.json"
"${agent_cmd[@]}" >/dev/null || true   # exit 1 (non-compliant) is expected
hyperfine -N --warmup 5 --runs 200 --export-json "$work/agent.json" \
    -n '/bin/true' '/bin/true' \
    -n 'warden-agent check --user (20 connections)' "$(printf '%q ' "${agent_cmd[@]}")" \
    -i >/dev/null 2>&1
read -r floor agent_ms < <(median_ms "$work/agent.json")
echo "agent check --user, 20 connections: median ${agent_ms} ms (spawn floor /bin/true: ${floor} ms, +$(python3 -c "print('%.2f' % ($agent_ms - $floor))") ms)"
echo "agent check --user peak memory:     $(peak_kib "${agent_cmd[@]}" || true) KiB"
cp "$agent" "$work/agent-stripped" && strip "$work/agent-stripped" 2>/dev/null || true
echo "warden-agent size (stripped):       $(stat -c %s "$work/agent-stripped") bytes"
echo

# --- 2. validate 1,000 profiles --------------------------------------------------------
mkdir -p "$work/profiles"
python3 - "$work/profiles" <<'PY'
import json, sys
out = sys.argv[1]
for i in range(1000):
    p = {
        "profile": {"id": f"team-{i:04d}", "name": f"Team {i}", "organization": "Acme", "serial": i + 1},
        "accounts": {"allow": [f"acme-team{i}*", "acme-shared"], "deny": [f"acme-team{i}-sandbox"]},
        "authenticators": {"forbidden": ["SNOWFLAKE", "USERNAME_PASSWORD_MFA"]},
        "connection": {"required_name": "acme", "default_role": "ANALYST", "forbidden_roles": ["ACCOUNTADMIN"],
                       "template": {"account": "acme-shared", "authenticator": "externalbrowser"}},
        "cortex": {"permissions": {"default_mode": "allow", "deny": ["bash(rm:*)"]},
                   "settings": {"force_no_history_mode": True}, "required": {"minimum_version": "1.1.89"}},
    }
    json.dump(p, open(f"{out}/team-{i:04d}.json", "w"), indent=2)
PY
"$warden" validate "$work/profiles" >/dev/null 2>&1
checker=""
for c in check-jsonschema target/interop-venv/bin/check-jsonschema; do
    command -v "$c" >/dev/null 2>&1 && { checker="$(command -v "$c")"; break; }
done
if [ -n "$checker" ]; then
    hyperfine -N --warmup 1 --runs 5 --export-json "$work/validate.json" \
        -n 'warden validate (1,000 JSON profiles)' "$warden validate $work/profiles" \
        -n 'check-jsonschema (same files)' "$checker --schemafile schemas/profile.schema.json $(ls "$work"/profiles/*.json | tr '\n' ' ')" \
        >/dev/null 2>&1
    read -r ours theirs < <(median_ms "$work/validate.json")
    echo "warden validate, 1,000 profiles:    median ${ours} ms"
    echo "check-jsonschema, same files:       median ${theirs} ms ($(python3 -c "print('%.1f' % ($theirs / $ours))")x slower)"
else
    hyperfine -N --warmup 1 --runs 5 --export-json "$work/validate.json" \
        -n 'warden validate' "$warden validate $work/profiles" >/dev/null
    echo "warden validate, 1,000 profiles:    median $(median_ms "$work/validate.json") ms"
    echo "!!! check-jsonschema not installed (run .ci/setup-interop): comparison SKIPPED"
fi
echo "warden validate peak memory:        $(peak_kib "$warden" validate "$work/profiles" || true) KiB"
