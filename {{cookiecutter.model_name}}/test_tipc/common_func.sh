#!/usr/bin/env bash
# Helpers shared by prepare.sh and test_train_inference_python.sh.
#
# Each function is small and can be tried on its own:
#   bash -c 'source test_tipc/common_func.sh; func_shell_quote "a b"'
# The config itself is read by tipc_config.py next to this file (func_tipc_config runs it); these helpers
# only run what it plans. status_check keeps the upstream TIPC scripts' name and results-log lines.

# The start of prepare.sh and the harness: bash >= 4 and two arguments, CONFIG and MODE; otherwise a message
# on stderr and status 2.
func_check_usage() { # SCRIPT ARGUMENT_COUNT
    if ((BASH_VERSINFO[0] < 4)); then
        printf '%s needs bash >= 4 (found %s)\n' "$(basename -- "$1")" "$BASH_VERSION" >&2
        return 2
    fi
    if [[ $2 -ne 2 ]]; then
        printf 'usage: bash %s CONFIG MODE  (MODE: lite_train_lite_infer, lite_train_whole_infer, %s)\n' "$1" \
            "whole_train_whole_infer, whole_infer" >&2
        return 2
    fi
}

# Run one of this folder's standard-library Python scripts with the first python found (python3, else python).
func_tipc_python() { # SCRIPT ARGS...
    local python
    python=$(command -v python3 || command -v python) || {
        printf 'cannot run %s: neither python3 nor python is on PATH\n' "$1" >&2
        return 2
    }
    "$python" "$(dirname -- "${BASH_SOURCE[0]}")/$1" "${@:2}"
}

# tipc_config.py: the plan of the harness, what prepare.sh makes, or the PYTHONPATH of the steps.
func_tipc_config() { # plan|prepare|python-path CONFIG MODE
    func_tipc_python tipc_config.py "$@"
}

# Set the variables of tipc_config.py's plan or prepare output: NUL-separated records NAME, VALUE (NAME[] starts
# an empty array, NAME[i] sets an element), assigned with printf -v, never eval'd. Status 2 when the config or
# the arguments are refused (tipc_config.py printed why).
func_load_plan() { # plan|prepare CONFIG MODE
    local file name value status=0
    file=$(mktemp) || return 2
    func_tipc_config "$@" > "$file" || status=2
    while ((status == 0)) && IFS= read -r -d '' name && IFS= read -r -d '' value; do
        if [[ $name =~ ^([A-Z][A-Z0-9_]*)\[\]$ ]]; then
            unset -v "${BASH_REMATCH[1]}"
            declare -ga "${BASH_REMATCH[1]}"
        elif [[ $name =~ ^[A-Z][A-Z0-9_]*(\[[0-9]+\])?$ ]]; then
            printf -v "$name" '%s' "$value"
        else
            printf 'TIPC: tipc_config.py wrote an unexpected record %q\n' "$name" >&2
            status=2
        fi
    done < "$file"
    rm -f -- "$file"
    return "$status"
}

# check_step.py: what a step that exited 0 must have done.
func_check_step() { # weights FILE WHERE | model FOLDER | predictions LOG IMG_PATH [PATTERN WHERE] | outputs FOLDER IMG_PATH
    func_tipc_python check_step.py "$@"
}

# int8_check.py note|facts: what the harness reads from the int8 step's report.
func_int8_report() { # note ARGS... | facts LOG_FOLDER
    func_tipc_python int8_check.py "$@"
}

# Words made only of these characters need no quoting; keeping them as they are keeps the recorded
# commands readable (printf %q would write CUDA_VISIBLE_DEVICES=0\,1).
TIPC_PLAIN_WORD='^[A-Za-z0-9_./:,+@%=-]+$'

# VALUE as one shell word: unchanged when it is plain, otherwise printf %q quoted.
func_shell_quote() {
    local value=$1
    if [[ $value =~ $TIPC_PLAIN_WORD ]]; then
        printf '%s\n' "$value"
    else
        printf '%q\n' "$value"
    fi
}

# The words WORD... as one command line a shell would split back into them, stored in the variable named VAR
# (no subshell per word: the harness does this for every step).
func_shell_words_into() { # VAR WORD...
    local -n out=$1
    local word quoted
    shift
    out=""
    for word in "$@"; do
        if [[ $word =~ $TIPC_PLAIN_WORD ]]; then
            quoted=$word
        else
            printf -v quoted '%q' "$word"
        fi
        out+="${out:+ }$quoted"
    done
}

# Append the line Paddle's CI counts to RESULTS_LOG (plain text) and echo it to the terminal
# (coloured when stdout is a terminal). STATUS is the step's exit code.
status_check() {
    local status=$1 command=$2 results_log=$3 line colour
    if [[ $status -eq 0 ]]; then
        line="Run successfully with command - ${command}!"
        colour='\033[32m'
    else
        line="Run failed with command - ${command}!"
        colour='\033[31m'
    fi
    printf '%s\n' "$line" >> "$results_log"
    if [[ -t 1 ]]; then
        printf "${colour}%s\033[0m\n" "$line"
    else
        printf '%s\n' "$line"
    fi
}

# Microseconds since the epoch, from $EPOCHREALTIME (bash 5; date on older bash). The decimal
# separator depends on the locale, so keep digits only.
func_now_us() {
    local now
    func_now_us_into now
    printf '%s\n' "$now"
}

# The same, stored in the variable named VAR (no subshell: the harness times every step with it).
func_now_us_into() {
    if [[ -n ${EPOCHREALTIME:-} ]]; then
        printf -v "$1" '%s' "${EPOCHREALTIME//[!0-9]/}"
    else
        printf -v "$1" '%s' "$(date +%s%6N)"
    fi
}

# A duration in microseconds as seconds with two decimals: 1234567 -> 1.23
func_format_us() {
    local us=$1
    printf '%d.%02d\n' "$(( us / 1000000 ))" "$(( us % 1000000 / 10000 ))"
}

# The inference model in DIR: prints the first <prefix>.json, or <prefix>.pdmodel, that has its
# <prefix>.pdiparams beside it (a .json alone may be train_args.json); returns 1 when there is none.
# pact_tipc/model_files.py's find_model_files follows the same rule.
func_find_inference_model() {
    local dir=$1 file ext
    for ext in json pdmodel; do
        for file in "$dir"/*."$ext"; do
            if [[ -f $file && -f ${file%."$ext"}.pdiparams ]]; then
                printf '%s\n' "$file"
                return 0
            fi
        done
    done
    return 1
}

# The start time of process PID (clock ticks after boot, field 22 of /proc/PID/stat), which tells a live process
# from a later one that got the same PID; prints nothing and returns 1 when PID is not running.
func_process_start() {
    local stat
    stat=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
    stat=${stat##*) }
    local -a fields
    read -r -a fields <<< "$stat"
    printf '%s\n' "${fields[19]}"
}

# Claim the folder LOCK for this shell (mkdir is atomic), writing "PID START_TICKS STARTED_AT" into LOCK/owner.
# Returns 0 when claimed; 1 when a live process holds it (TIPC_LOCK_OWNER then says which); 2 when LOCK cannot be
# made. A claim whose owner is gone (killed with SIGKILL, say) is taken over, with a note on stdout.
func_claim_lock() { # LOCK
    local lock=$1 pid="" start="" when="" age
    while ! mkdir -- "$lock" 2> /dev/null; do
        [[ -d $lock ]] || return 2
        { read -r pid start when < "$lock/owner"; } 2> /dev/null
        if [[ -z $pid ]]; then
            # Claimed a moment ago and its owner line is not written yet: a live claim.
            age=$(($(date +%s) - $(stat -c %Y -- "$lock" 2> /dev/null || echo 0)))
            if ((age < 10)); then
                # shellcheck disable=SC2034  # read by the caller
                TIPC_LOCK_OWNER="a run that is starting"
                return 1
            fi
        elif [[ $(func_process_start "$pid") == "$start" ]]; then
            # shellcheck disable=SC2034  # read by the caller
            TIPC_LOCK_OWNER="PID $pid, started $when"
            return 1
        fi
        printf 'the run that claimed %s (PID %s, started %s) is gone; taking its claim over\n' "$lock" \
            "${pid:-?}" "${when:-?}"
        rm -rf -- "$lock"
    done
    printf '%s %s %(%Y-%m-%dT%H:%M:%S)T\n' "$$" "$(func_process_start $$)" -1 > "$lock/owner"
}

# The claims under FOLDER (LOCK folders named .<MODE>.lock one level down, as the harness makes them in ./log) whose
# owner still runs, one "<lock> (PID <pid>, started <time>)" per line.
func_live_claims() { # FOLDER
    local owner pid start when
    for owner in "$1"/*/.*.lock/owner; do
        [[ -f $owner ]] || continue
        { read -r pid start when < "$owner"; } 2> /dev/null
        if [[ -n $pid && $(func_process_start "$pid") == "$start" ]]; then
            printf '%s (PID %s, started %s)\n' "${owner%/owner}" "$pid" "$when"
        fi
    done
}

# Whether a process of process group PGID is still running (zombies waiting to be reaped do not
# count). Without ps it answers no.
func_group_alive() {
    local pgid=$1
    ps -A -o pgid= -o stat= 2> /dev/null | awk -v g="$pgid" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# Wait until no process of group PGID runs, checking every 0.1 s at most TRIES times; returns 1 if
# some still run.
func_wait_group_gone() {
    local pgid=$1 tries=$2
    while func_group_alive "$pgid"; do
        ((tries-- > 0)) || return 1
        sleep 0.1
    done
    return 0
}

# Stop process group PGID: SIGTERM, then SIGKILL for whatever still runs 10 s later.
func_stop_group() { # PGID
    kill -TERM -- "-$1" 2> /dev/null || return 0
    func_wait_group_gone "$1" 100 || kill -KILL -- "-$1" 2> /dev/null
    return 0
}

# Watch a step that runs in process group PGID; run it in the background (a subshell of the harness). After LIMIT
# seconds it creates the file FIRED and stops the group. If the harness (its parent) is gone before that, killed
# with SIGKILL so that no trap ran, it stops the group at once: no step and no watch outlives its run. Given the
# step's LOG, LABEL and STALL seconds, it prints "STALL <label>: ..." once whenever LOG has not grown for STALL
# seconds, so that a step that hangs without a word is seen long before its time limit stops it.
func_step_watch() { # PGID LIMIT FIRED [LOG LABEL STALL]
    local pgid=$1 fired=$3 log=${4:-} label=${5:-} stall=${6:-0} me=$BASHPID owner parent end=$((SECONDS + $2))
    local size=-1 now_size quiet_since=$SECONDS told=0
    owner=$(ps -o ppid= -p "$me" 2> /dev/null) || owner=""
    while ((SECONDS < end)); do
        sleep 1
        parent=$(ps -o ppid= -p "$me" 2> /dev/null) || parent=""
        if [[ -n $owner && ${parent// /} != "${owner// /}" ]]; then
            func_stop_group "$pgid"
            return 0
        fi
        if [[ -n $log ]] && ((stall > 0)); then
            now_size=$(wc -c < "$log" 2> /dev/null) || now_size=$size
            if [[ $now_size != "$size" ]]; then
                size=$now_size quiet_since=$SECONDS told=0
            elif ((told == 0 && SECONDS - quiet_since >= stall)); then
                printf 'STALL %s: no output for %s s (still running; stopped at the time limit, %s s after its start)\n' \
                    "$label" "$stall" "$2"
                told=1
            fi
        fi
    done
    : > "$fired"
    func_stop_group "$pgid"
}
