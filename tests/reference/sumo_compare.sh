#!/usr/bin/env bash
# Compare fleetsim's longitudinal-dynamics energy formula with an independent, published
# implementation of the same physics: Eclipse SUMO's electric "Energy" model (HelpersEnergy,
# Kurczveil et al. 2014) driven over the EPA cycles by SUMO's own `emissionsDrivingCycle`.
#
# Usage: tests/reference/sumo_compare.sh [--vehicle FILE] [--cycles DIR] [--tolerance PCT]
#                                        [--keep DIR] [--explain]
#                                        [--fleetsim PATH [--config DIR]] [--tap]
#   --vehicle    vehicle parameters, vehicles.yaml keys as JSON (default: vehicle.json here)
#   --cycles     folder holding udds.csv hwfet.csv us06.csv (default: tests/data/cycles)
#   --tolerance  max |difference| in percent before exit status 1 (default: 3)
#   --keep       keep SUMO inputs/outputs (timelines, vType file, per-second output) in DIR
#   --explain    also print an awk replica of SUMO's formula and one-change-at-a-time
#                variants of ours, to attribute any difference
#   --fleetsim   take "ours" from the real C model: PATH cycle --json --vehicle reference-van,
#                the vehicle added through FLEETSIM_CONFIG_OVERRIDES built from --vehicle
#                (the awk formula is then printed beside it, as a cross-check)
#   --config     config dir for --fleetsim (default: the bundled config/ of this tree)
#   --tap        TAP output for meson: one test point per cycle (and per cycle without
#                auxiliaries), figures as "#" diagnostics; SUMO missing => "1..0 # SKIP"
#
# Needs: emissionsDrivingCycle (Debian: apt-get install -y --no-install-recommends sumo),
# jq, awk. Exit: 0 all cycles within tolerance, 1 some cycle outside, 2 bad usage/input,
# 77 SUMO not installed (the meson/automake "skipped" code; with --tap: 0 and a SKIP plan,
# since meson's TAP protocol counts any non-zero exit as an error).
#
# "Ours" is computed here in awk from the formula in shared/DESIGN.md "Models" (per 1 s step
# v0 -> v1; trapezoidal aero/rolling/grade, exact kinetic energy, m_eff = m(1+f), battery
# power = P/eta_drive or max(P*eta_regen, -maxRegen), plus aux every second), not with the
# C code, so the two sides share nothing but the cycle files and the vehicle parameters.
# With --fleetsim, "ours" is the C model itself, run as a user runs it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
vehicle="$here/vehicle.json"
cycles="$here/../data/cycles"
tol=3
keep=""
explain=0
fleetsim=""
config="$here/../../config"
tap=0
while [ $# -gt 0 ]; do
    case "$1" in
        --vehicle) vehicle="${2:?--vehicle needs a file}"; shift 2 ;;
        --cycles) cycles="${2:?--cycles needs a folder}"; shift 2 ;;
        --tolerance) tol="${2:?--tolerance needs a number}"; shift 2 ;;
        --keep) keep="${2:?--keep needs a folder}"; shift 2 ;;
        --explain) explain=1; shift ;;
        --fleetsim) fleetsim="${2:?--fleetsim needs the path of the fleetsim program}"; shift 2 ;;
        --config) config="${2:?--config needs a folder}"; shift 2 ;;
        --tap) tap=1; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "sumo_compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

if ! command -v emissionsDrivingCycle >/dev/null 2>&1; then
    echo "sumo_compare.sh: emissionsDrivingCycle not found;" \
         "install it with: apt-get install -y --no-install-recommends sumo" >&2
    if [ "$tap" = 1 ]; then echo "1..0 # SKIP SUMO (emissionsDrivingCycle) is not installed"; exit 0; fi
    exit 77
fi
command -v jq >/dev/null 2>&1 || { echo "sumo_compare.sh: jq not found" >&2; exit 2; }
[ -r "$vehicle" ] || { echo "sumo_compare.sh: $vehicle: cannot read" >&2; exit 2; }
if [ -n "$fleetsim" ]; then
    [ -x "$fleetsim" ] || { echo "sumo_compare.sh: $fleetsim: not an executable" >&2; exit 2; }
    [ -d "$config" ] || { echo "sumo_compare.sh: $config: not a folder" >&2; exit 2; }
fi

# ---- vehicle parameters (vehicles.yaml keys) --------------------------------------------
num() {  # num KEY [DEFAULT] -> number from the vehicle file, or fail naming the key
    local v
    v="$(jq -r --arg k "$1" '.[$k] // empty' "$vehicle")"
    if [ -z "$v" ]; then
        if [ $# -ge 2 ]; then v="$2"; else
            echo "sumo_compare.sh: $vehicle: $1: missing" >&2; exit 2; fi
    fi
    case "$v" in ''|*[!0-9eE.+-]*) echo "sumo_compare.sh: $vehicle: $1: not a number ('$v')" >&2; exit 2 ;; esac
    printf '%s' "$v"
}
massKg=$(num massKg); payloadKg=$(num payloadKg)
cd_=$(num dragCoefficient); area=$(num frontalAreaM2); crr=$(num rollingResistance)
rotf=$(num rotationalInertiaFactor)
etaD=$(num drivetrainEfficiency); etaR=$(num regenEfficiency)
maxRegenKw=$(num maxRegenKw); auxKw=$(num auxKw)
hvacK=$(num hvacKwPerDegC 0); tempC=$(num temperatureC 20)
bandLo=$(jq -r '.comfortBandC[0] // 16' "$vehicle"); bandHi=$(jq -r '.comfortBandC[1] // 24' "$vehicle")

# Derived values and the mapping to SUMO's Energy-model parameters (see README.md):
#   vehicleMass             = massKg + payloadKg
#   internalMomentOfInertia = rotationalInertiaFactor * (massKg + payloadKg)   [SUMO adds
#                             0.5*J*(v1^2-v0^2): J is an equivalent mass in kg]
#   airDragCoefficient      = dragCoefficient * rho(T) / 1.2041   [SUMO hard-codes rho=1.2041;
#                             at 20 C the factor is 0.99997]
#   constantPowerIntake     = 1000 * (auxKw + hvac(T))  [W]   (0 in the no-aux comparison)
#   radialDragCoefficient   = 0 (no cornering loss in ours; also inactive without an angle)
read -r mass jrot rho cdSumo auxW < <(awk -v m="$massKg" -v p="$payloadKg" -v f="$rotf" \
    -v cd="$cd_" -v T="$tempC" -v aux="$auxKw" -v h="$hvacK" -v lo="$bandLo" -v hi="$bandHi" 'BEGIN {
    M = m + p; rho = 101325 / (287.058 * (T + 273.15))
    dT = (T < lo) ? lo - T : ((T > hi) ? T - hi : 0)
    printf "%.10g %.10g %.10g %.10g %.10g\n", M, f * M, rho, cd * rho / 1.2041, 1000 * (aux + h * dT) }')

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="${keep:-$work}"
mkdir -p "$out"

vtype() {  # vtype FILE AUX_W
    cat > "$1" <<EOF
<additional>
    <!-- generated by tests/reference/sumo_compare.sh from $(basename "$vehicle") -->
    <vType id="fleetsim" emissionClass="Energy/unknown">
        <param key="vehicleMass" value="$mass"/>
        <param key="frontSurfaceArea" value="$area"/>
        <param key="airDragCoefficient" value="$cdSumo"/>
        <param key="internalMomentOfInertia" value="$jrot"/>
        <param key="radialDragCoefficient" value="0"/>
        <param key="rollDragCoefficient" value="$crr"/>
        <param key="constantPowerIntake" value="$2"/>
        <param key="propulsionEfficiency" value="$etaD"/>
        <param key="recuperationEfficiency" value="$etaR"/>
        <param key="recuperationEfficiencyByDecel" value="0"/>
    </vType>
</additional>
EOF
}
vtype "$out/vtype.xml" "$auxW"
vtype "$out/vtype_noaux.xml" 0

# ---- reference: SUMO emissionsDrivingCycle ----------------------------------------------
# Timeline format read by emissionsDrivingCycle: "time;speed[;slope]" (m/s, slope in DEGREES).
# With --compute-a the acceleration column is not read, so the slope is the 3rd column (the
# --help text's "fourth column" applies only when acceleration is given). The first row only
# primes v0; every further row is one step v(t-1) -> v(t) with a = v(t) - v(t-1).
convert() {  # convert CYCLE.csv OUT -> checks 1 Hz, writes t;v;slopeDeg
    awk -F, -v f="$1" 'NR == 1 && $1 !~ /^[0-9.+-]/ { next }   # header line, if any
        NF < 2 { printf "%s:%d: expected seconds,mps[,grade]\n", f, NR > "/dev/stderr"; bad = 1; exit }
        { if (n > 0 && $1 - t != 1) { printf "%s:%d: not 1 Hz (%s after %s)\n", f, NR, $1, t > "/dev/stderr"; bad = 1; exit }
          t = $1; n++; g = (NF >= 3 && $3 != "") ? $3 : 0
          printf "%s;%.10g;%.10g\n", $1, $2, atan2(g, 1) * 180 / 3.141592653589793 }
        END { exit bad }' "$1" > "$2"
}
run_sumo() {  # run_sumo TIMELINE VTYPE STEPS_OUT -> "Wh metres" from SUMO's own sums
    local log
    log="$(emissionsDrivingCycle -t "$1" -e Energy/unknown --additional-files "$2" \
        --vtype fleetsim --compute-a --have-slope -o "$3" 2>&1)" || {
        echo "sumo_compare.sh: emissionsDrivingCycle failed on $1:" >&2; echo "$log" >&2; exit 1; }
    printf '%s\n' "$log" | awk -F: '/^length:/ { l = $2 } /^electricity:/ { e = $2 }
        END { if (e == "" || l == "") exit 1; print e, l }'
}

# ---- ours, and (for --explain) a replica of SUMO's formula, in awk ------------------------
# mode=ours   : trapezoidal aero/rolling/grade, aux added at the battery, regen capped
# mode=sumo   : SUMO 1.15 HelpersEnergy::compute as measured (end-of-step speed for aero,
#               rolling and grade; no cos(theta); g = 9.80665; aux inside the efficiency split;
#               no regen cap)
# mode=auxin  : ours, but aux inside the efficiency split (SUMO's treatment)
# mode=endv   : ours, but aero/rolling/grade at the end-of-step speed (SUMO's discretisation)
formula() {  # formula MODE CYCLE.csv AUX_W -> "kWh km maxRegenKw"
    awk -F, -v mode="$1" -v M="$mass" -v f="$rotf" -v rho="$rho" -v cd="$cd_" -v A="$area" \
        -v crr="$crr" -v ed="$etaD" -v er="$etaR" -v cap="$maxRegenKw" -v aux="$3" '
    BEGIN { g = 9.80665; meff = M * (1 + f); E = 0; d = 0; maxr = 0 }
    NR == 1 && $1 !~ /^[0-9.+-]/ { next }   # header line, if any
    { v1 = $2 + 0; gr = (NF >= 3 && $3 != "") ? $3 + 0 : 0
      if (!started) { v0 = v1; started = 1; next }
      th = atan2(gr, 1)
      kin = meff * (v1 * v1 - v0 * v0) / 2
      if (mode == "sumo" || mode == "endv") { va = v1; v3 = v1 * v1 * v1 }
      else { va = (v0 + v1) / 2; v3 = (v0 * v0 * v0 + v1 * v1 * v1) / 2 }
      P = kin + 0.5 * rho * cd * A * v3 + M * g * sin(th) * va
      P += crr * M * g * ((mode == "sumo") ? 1 : cos(th)) * va
      inside = (mode == "sumo" || mode == "auxin")
      if (inside) P += aux
      if (P >= 0) B = P / ed
      else { B = P * er; if (mode != "sumo" && B < -cap * 1000) B = -cap * 1000
             if (-B > maxr) maxr = -B }
      if (!inside) B += aux
      E += B; d += v1; v0 = v1 }
    END { printf "%.6f %.4f %.1f\n", E / 3.6e6, d / 1000, maxr / 1000 }' "$2"
}

# ---- ours from the C model: fleetsim cycle --json ------------------------------------------
# The vehicle enters the config as "reference-van" through FLEETSIM_CONFIG_OVERRIDES (a new
# name must be complete: the charging keys, which do not affect driving energy, get
# placeholders unless the vehicle file has them). `name` and `temperatureC` are not
# vehicles.yaml keys; the temperature goes to --temperature.
overrides_json() {  # overrides_json WITH_AUX(1|0)
    jq -c --argjson aux "$1" '{vehicles: {"reference-van": (
        {maxAcKw: 11, maxDcKw: 100, chargeCurve: [[0, 100], [1, 100]], reserveSoc: 0.1}
        + del(.name, .temperatureC)
        + (if $aux == 1 then {} else {auxKw: 0, hvacKwPerDegC: 0} end))}}' "$vehicle"
}
fleetsim_cycle() {  # fleetsim_cycle CYCLE.csv WITH_AUX(1|0) -> "kWh km"
    local json
    json="$(FLEETSIM_CONFIG_OVERRIDES="$(overrides_json "$2")" "$fleetsim" cycle --json \
        --vehicle reference-van --cycle "$1" --temperature "$tempC" --config "$config")" || {
        echo "sumo_compare.sh: $fleetsim cycle failed on $1" >&2; return 1; }
    jq -r '"\(.energyKwh) \(.distanceKm)"' <<<"$json" |
        awk '{ printf "%.6f %.4f\n", $1, $2 }'
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f", (a - b) / b * 100 }'; }

ver="$(emissionsDrivingCycle --version 2>/dev/null | sed -n "1s/.*Version //p")"  # sed reads it all: no SIGPIPE under pipefail
echo "# reference: Eclipse SUMO $ver emissionsDrivingCycle, class Energy/unknown (HelpersEnergy)"
echo "# vehicle: $(basename "$vehicle"): m=$mass kg, J=$jrot kg, CdA=$(awk -v c="$cd_" -v a="$area" 'BEGIN{print c*a}') m2," \
     "Crr=$crr, eta=$etaD/$etaR, aux=$auxW W, T=${tempC} C, rho=$(printf '%.5f' "$rho")"
echo "# reference tool, one line per cycle: cycle energyKwh distanceKm"

declare -A refE refD refE0 oursE oursD oursE0 maxr awkE awkE0
names=()
for c in udds hwfet us06; do
    csv="$cycles/$c.csv"
    [ -r "$csv" ] || { echo "sumo_compare.sh: $csv: cannot read" >&2; exit 2; }
    names+=("$c")
    convert "$csv" "$out/$c.timeline" || exit 2
    read -r wh m < <(run_sumo "$out/$c.timeline" "$out/vtype.xml" "$out/$c.sumo.csv")
    read -r wh0 _ < <(run_sumo "$out/$c.timeline" "$out/vtype_noaux.xml" "$out/$c.sumo_noaux.csv")
    refE[$c]=$(awk -v x="$wh" 'BEGIN { printf "%.6f", x / 1000 }')
    refE0[$c]=$(awk -v x="$wh0" 'BEGIN { printf "%.6f", x / 1000 }')
    refD[$c]=$(awk -v x="$m" 'BEGIN { printf "%.4f", x / 1000 }')
    read -r oursE[$c] oursD[$c] maxr[$c] < <(formula ours "$csv" "$auxW")
    read -r oursE0[$c] _ _ < <(formula ours "$csv" 0)
    awkE[$c]=${oursE[$c]} awkE0[$c]=${oursE0[$c]}
    if [ -n "$fleetsim" ]; then
        r="$(fleetsim_cycle "$csv" 1)" && r0="$(fleetsim_cycle "$csv" 0)" || {
            [ "$tap" = 0 ] || echo "Bail out! fleetsim cycle failed on $csv"; exit 1; }
        read -r oursE[$c] oursD[$c] <<<"$r"
        read -r oursE0[$c] _ <<<"$r0"
    fi
    [ "$tap" = 1 ] && printf '# ' # the reference's own line becomes a TAP diagnostic
    echo "$c ${refE[$c]} ${refD[$c]}"
done
if [ -n "$fleetsim" ]; then
    echo "# ours: the C model, $fleetsim cycle --json --vehicle reference-van (config $config)"
else
    echo "# ours: the DESIGN.md formula written out in awk (not the C model; see --fleetsim)"
fi

status=0
point=0
outside() { awk -v d="$1" -v t="$tol" 'BEGIN { exit !(d > t || d < -t) }'; }
tap_point() {  # tap_point OK(1|0) DESCRIPTION
    point=$((point + 1))
    if [ "$1" = 1 ]; then echo "ok $point - $2"; else echo "not ok $point - $2"; fi
}
if [ "$tap" = 1 ]; then
    for c in "${names[@]}"; do
        d=$(pct "${oursE[$c]}" "${refE[$c]}")
        ok=1; outside "$d" && { ok=0; status=1; }
        tap_point "$ok" "$c: ours within $tol % of SUMO"
        echo "# $c: ours ${oursE[$c]} kWh, SUMO ${refE[$c]} kWh, difference $d %;" \
             "distance ours ${oursD[$c]} km, SUMO ${refD[$c]} km"
    done
    for c in "${names[@]}"; do
        d=$(pct "${oursE0[$c]}" "${refE0[$c]}")
        ok=1; outside "$d" && { ok=0; status=1; }
        tap_point "$ok" "$c without auxiliaries: ours within $tol % of SUMO"
        echo "# $c, no aux: ours ${oursE0[$c]} kWh, SUMO ${refE0[$c]} kWh, difference $d %"
    done
else
    echo "# comparison (diff = (ours - ref) / ref): cycle refKwh oursKwh diffPct refKm oursKm"
    for c in "${names[@]}"; do
        d=$(pct "${oursE[$c]}" "${refE[$c]}")
        echo "$c ${refE[$c]} ${oursE[$c]} $d% ${refD[$c]} ${oursD[$c]}"
        outside "$d" && status=1
    done
    echo "# same without auxiliaries (constantPowerIntake=0, auxKw=0): cycle refKwh oursKwh diffPct"
    for c in "${names[@]}"; do
        d=$(pct "${oursE0[$c]}" "${refE0[$c]}")
        echo "$c ${refE0[$c]} ${oursE0[$c]} $d%"
        outside "$d" && status=1
    done
fi
if [ -n "$fleetsim" ]; then
    echo "# cross-check, C model vs the awk transcription of the formula (kWh; with aux, without):"
    for c in "${names[@]}"; do
        echo "#   $c: C ${oursE[$c]} awk ${awkE[$c]} ($(pct "${oursE[$c]}" "${awkE[$c]}") %);" \
             "C ${oursE0[$c]} awk ${awkE0[$c]} ($(pct "${oursE0[$c]}" "${awkE0[$c]}") %)"
    done
fi
for c in "${names[@]}"; do
    awk -v r="${maxr[$c]}" -v cap="$maxRegenKw" 'BEGIN { exit !(r >= cap) }' &&
        echo "# WARNING $c: maxRegenKw=$maxRegenKw binds in ours; SUMO 1.15's Energy model has no regen cap"
done
echo "# peak regen power at the battery in ours (awk formula, kW): $(for c in "${names[@]}"; do printf '%s=%s ' "$c" "${maxr[$c]}"; done)"

if [ "$explain" = 1 ]; then
    echo "# explain: awk replica of SUMO's formula vs SUMO itself, and ours changed one thing at a time"
    echo "# cycle sumoKwh replicaKwh replicaDiff | ours auxInsideEta endSpeedDiscretisation (kWh, diff vs SUMO)"
    for c in "${names[@]}"; do
        read -r rep _ _ < <(formula sumo "$cycles/$c.csv" "$auxW")
        read -r ain _ _ < <(formula auxin "$cycles/$c.csv" "$auxW")
        read -r env _ _ < <(formula endv "$cycles/$c.csv" "$auxW")
        [ "$tap" = 1 ] && printf '# '
        echo "$c ${refE[$c]} $rep $(pct "$rep" "${refE[$c]}")% | ${oursE[$c]} $(pct "${oursE[$c]}" "${refE[$c]}")%" \
             "$ain $(pct "$ain" "${refE[$c]}")% $env $(pct "$env" "${refE[$c]}")%"
    done
fi
[ "$status" = 0 ] || echo "# FAIL: some cycle differs by more than $tol %" >&2
if [ "$tap" = 1 ]; then echo "1..$point"; exit 0; fi  # TAP: the points carry the verdict
exit "$status"
