#!/usr/bin/env bash
# Helpers shared by prepare.sh and test_train_inference_python.sh.
#
# Each function is small and can be tried on its own:
#   bash -c 'source test_tipc/common_func.sh; func_parser_key "a:b"'
# The func_parser_* / func_set_params / status_check names and meanings follow the upstream
# TIPC scripts, so configs written for those keep working here.

# Key of a "key:value" config line: the text before the first ':'.
func_parser_key() {
    local line=$1
    printf '%s\n' "${line%%:*}"
}

# Value of a "key:value" config line: everything after the first ':' (may contain ':').
# A line without ':' has no value (no output).
func_parser_value() {
    local line=$1
    if [[ $line == *:* && -n ${line#*:} ]]; then
        printf '%s\n' "${line#*:}"
    fi
    return 0
}

# Modes of the harness; a value made of "<mode>=..." items is a per-mode value.
TIPC_MODES_RE='^(lite_train_lite_infer|lite_train_whole_infer|whole_train_whole_infer|whole_infer)='

# Value of a config line for MODE. A per-mode value, "mode=value" items separated by '|'
# ("--epochs:lite_train_lite_infer=5|whole_train_whole_infer=90"), gives the item of MODE, or nothing when
# MODE is not listed. Any other value applies to every mode and is printed as it is, '=' and '|' included
# (a path, "cpu|gpu", or a command with its arguments on line 34).
func_parser_params() {
    local line=$1 mode=$2 value item
    local -a items
    value=$(func_parser_value "$line")
    if [[ ! $value =~ $TIPC_MODES_RE ]]; then
        [[ -n $value ]] && printf '%s\n' "$value"
        return 0
    fi
    IFS='|' read -r -a items <<< "$value"
    for item in "${items[@]}"; do
        if [[ ${item%%=*} == "$mode" ]]; then
            printf '%s\n' "${item#*=}"
            return 0
        fi
    done
    return 0
}

# The header of the optional extension block (config line 33); lines 34-39 follow it.
TIPC_EXTENSION_HEADER='^=+infer_benchmark_params=+$'

# Whether LINE is the extension header, i.e. the config has the optional lines 33-39.
func_is_extension_header() {
    [[ $1 =~ $TIPC_EXTENSION_HEADER ]]
}

# Part of an inference log name for one loop combination: "NAME_VALUE" pairs joined by '_', leaving out
# pairs with an empty VALUE (a loop the config does not have); values are made file-name safe.
# func_infer_combo_tag mkldnn True threads 2 precision auto -> mkldnn_True_threads_2_precision_auto
func_infer_combo_tag() {
    local out="" name value
    while (($# >= 2)); do
        name=$1 value=$2
        shift 2
        [[ -z $name || -z $value ]] && continue
        out+="${out:+_}${name}_${value//[^A-Za-z0-9_.-]/_}"
    done
    printf '%s\n' "$out"
}

# Words made only of these characters need no quoting; keeping them as they are keeps the recorded
# commands readable (printf %q would write CUDA_VISIBLE_DEVICES=0\,1).
TIPC_PLAIN_WORD='^[A-Za-z0-9_./:,+@%=-]+$'

# VALUE as one shell word, ready for eval: unchanged when it is plain, otherwise printf %q quoted.
func_shell_quote() {
    local value=$1
    if [[ $value =~ $TIPC_PLAIN_WORD ]]; then
        printf '%s\n' "$value"
    else
        printf '%q\n' "$value"
    fi
}

# "KEY=VALUE" for a command line, or nothing when KEY or VALUE is null/empty (the config's way of
# switching an argument off). KEY is left as written so it may hold several words
# ("-o Global.epochs" gives "-o Global.epochs=2"); VALUE is shell-quoted when needed.
func_set_params() {
    local key=$1 value=$2
    if [[ -z ${key// /} || $key == null || -z ${value// /} || $value == null ]]; then
        return 0
    fi
    if [[ $value =~ $TIPC_PLAIN_WORD ]]; then
        printf '%s=%s\n' "$key" "$value"
    else
        printf '%s=%q\n' "$key" "$value"
    fi
}

# The non-empty arguments joined by single spaces.
func_join() {
    local out="" part
    for part in "$@"; do
        if [[ -n $part ]]; then
            out+="${out:+ }$part"
        fi
    done
    printf '%s\n' "$out"
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

# Kind of a gpu_list entry: "cpu" for -1[,-1...], "gpu" for card ids like 0 or 0,1,
# "invalid" for anything else (mixed entries included).
func_entry_kind() {
    local entry=$1
    if [[ $entry =~ ^-1(,-1)*$ ]]; then
        printf 'cpu\n'
    elif [[ $entry =~ ^[0-9]+(,[0-9]+)*$ ]]; then
        printf 'gpu\n'
    else
        printf 'invalid\n'
    fi
}

# Number of processes a gpu_list entry starts: one per comma-separated item.
func_entry_nproc() {
    local entry=$1 only_commas
    only_commas=${entry//[!,]/}
    printf '%s\n' "$(( ${#only_commas} + 1 ))"
}

# Tag naming an entry's output dir and logs: cpu, cpu_x2 (cpu_xN), gpus_0, gpus_0,1.
func_entry_tag() {
    local entry=$1 nproc
    if [[ $(func_entry_kind "$entry") == cpu ]]; then
        nproc=$(func_entry_nproc "$entry")
        if [[ $nproc -eq 1 ]]; then
            printf 'cpu\n'
        else
            printf 'cpu_x%s\n' "$nproc"
        fi
    else
        printf 'gpus_%s\n' "$entry"
    fi
}

# Environment prefix of every command of an entry. GPU entries expose every card of the entry (0,1
# means both cards, not just the first). A single CPU process hides all cards. A multi-process CPU
# entry must not set CUDA_VISIBLE_DEVICES at all: paddle.distributed.launch reads an empty value as
# one GPU label and fails (IndexError in _build_pod_with_master, Paddle 2.6 and 3.x); unset, a CPU
# build of Paddle detects no GPU and starts the processes over gloo.
func_entry_env() {
    local entry=$1
    if [[ $(func_entry_kind "$entry") == cpu ]]; then
        if [[ $(func_entry_nproc "$entry") -gt 1 ]]; then
            printf 'env -u CUDA_VISIBLE_DEVICES\n'
        else
            printf 'env CUDA_VISIBLE_DEVICES=\n'
        fi
    else
        printf 'env CUDA_VISIBLE_DEVICES=%s\n' "$entry"
    fi
}

# Arguments that start a multi-process entry under paddle.distributed.launch (nothing for a single
# process): CPU entries run N processes over gloo, GPU entries one process per listed card.
# LOG_DIR is shell-quoted for eval.
func_launch_args() {
    local entry=$1 log_dir=$2 nproc
    nproc=$(func_entry_nproc "$entry")
    [[ $nproc -le 1 ]] && return 0
    if [[ $(func_entry_kind "$entry") == cpu ]]; then
        printf -- '-m paddle.distributed.launch --log_dir=%s --nproc_per_node=%s\n' \
            "$(func_shell_quote "$log_dir")" "$nproc"
    else
        printf -- '-m paddle.distributed.launch --log_dir=%s --devices=%s\n' \
            "$(func_shell_quote "$log_dir")" "$entry"
    fi
}

# The INDEX-th (0-based) '|' alternative of VALUE; a value without alternatives applies to every
# index (line 5 may give one device for all gpu_list entries).
func_pick_alternative() {
    local value=$1 index=$2
    local -a items
    if [[ $value != *'|'* ]]; then
        printf '%s\n' "$value"
        return 0
    fi
    IFS='|' read -r -a items <<< "$value"
    printf '%s\n' "${items[index]}"
}

# Whether an inference device value (line 28, e.g. True/False) asks for a GPU.
func_is_gpu_value() {
    local value=${1,,}
    [[ $value == true || $value == gpu ]]
}

# Short name of an inference device value for log names: gpu, cpu, default (null) or the value.
func_infer_device_tag() {
    local value=$1 lower=${1,,}
    case $lower in
        true | gpu) printf 'gpu\n' ;;
        false | cpu) printf 'cpu\n' ;;
        '' | null) printf 'default\n' ;;
        *) printf '%s\n' "${value//[^A-Za-z0-9_.-]/_}" ;;
    esac
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

# The inference model in DIR: prints the first *.pdmodel, or *.json with its .pdiparams beside it
# (a .json alone may be train_args.json); returns 1 when there is none.
func_find_inference_model() {
    local dir=$1 file
    for file in "$dir"/*.pdmodel "$dir"/*.json; do
        [[ -f $file ]] || continue
        if [[ $file == *.pdmodel || -f ${file%.json}.pdiparams ]]; then
            printf '%s\n' "$file"
            return 0
        fi
    done
    return 1
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

# Validate CONFIG (and MODE) before anything runs: check_config.py next to this file, then the
# line-3 python must be a command. Messages go to stderr; returns 2 when something is wrong.
func_check_config() {
    local config=$1 mode=$2 checker python
    local -a line3
    checker=$(command -v python3 || command -v python) || {
        printf 'cannot validate %s: neither python3 nor python is on PATH\n' "$config" >&2
        return 2
    }
    "$checker" "$(dirname -- "${BASH_SOURCE[0]}")/check_config.py" "$config" "$mode" || return 2
    mapfile -t -s 2 -n 1 line3 < "$config"
    python=$(func_parser_value "${line3[0]%$'\r'}")
    if ! command -v -- "$python" > /dev/null 2>&1; then
        printf "%s:3: python command (line 3): expected a command on PATH or a path to a python, found '%s'\n" \
            "$config" "$python" >&2
        return 2
    fi
}

# Read CONFIG into the global array CONFIG_LINES so that CONFIG_LINES[n] is line n (1-based, as the
# guide numbers them), without Windows line endings.
func_read_config() {
    local config=$1 line
    local -a raw
    mapfile -t raw < "$config"
    CONFIG_LINES=("")
    for line in "${raw[@]}"; do
        CONFIG_LINES+=("${line%$'\r'}")
    done
}
