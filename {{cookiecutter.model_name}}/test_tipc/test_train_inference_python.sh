#!/usr/bin/env bash
# TIPC PACT chain: train -> eval -> export -> inference for every gpu_list entry of a
# train_pact_infer_python.txt config (the guide's 32-line format).
#
# Usage (from the repo root, after test_tipc/prepare.sh):
#   bash test_tipc/test_train_inference_python.sh CONFIG MODE
#   MODE: lite_train_lite_infer | lite_train_whole_infer | whole_train_whole_infer | whole_infer
#
# Entries (config line 4, gpu_list): -1 = one CPU process (env CUDA_VISIBLE_DEVICES=); -1,-1 = two
# CPU processes over gloo under paddle.distributed.launch (CUDA_VISIBLE_DEVICES unset, see
# func_entry_env; a CPU build of Paddle is expected); 0 and 0,1 = those GPUs
# (CUDA_VISIBLE_DEVICES=0 / 0,1; 0,1 runs under the launcher). A GPU entry on a machine without CUDA
# is recorded as failed with a hint, never passed.
#
# What the config's lines mean, which steps they make and the commands of those steps come from
# tipc_config.py next to this script (python3 test_tipc/check_config.py --explain CONFIG shows every line):
# per-mode values ("mode=value" items on lines 6, 8, 9, 11 and the accuracy check), null lines that skip a step,
# and the optional extension lines after line 32: an accuracy check after every export (log
# <trainer>_<tag>_accuracy.log) and inference loops (oneDNN, CPU threads, precision, TensorRT), one inference
# step and one log per combination, e.g. pact_train_cpu_infer_cpu_mkldnn_True_threads_2_precision_auto_batchsize_1.log.
# This script runs that plan: processes, their logs, timing, signals, results_python.log and the summary.
# Commands run as argument lists (nothing is eval'd); results_python.log shows each one shell-quoted (with
# "cd <folder> &&" in front when the config's infer_workdir line runs inference from another folder). Every step
# runs with the config's python_path folders first on PYTHONPATH (a "<package>=<folder>" entry makes the folder
# importable under that package name, through a link in the log folder) and test_tipc/py_shims last (an auto_log
# module for suites whose benchmark mode imports it; an installed auto_log comes first).
# A step passes when its command exits 0 and, for train and export, it wrote what the next step reads:
# train the weights <save>/<line 10> (or <line 10>.pdparams), export an inference model (*.pdmodel or
# *.json, with its .pdiparams) in <save>, inference a prediction line per input image (a line naming the image's
# file, or one matching the config's infer_pattern line); check_step.py checks each of these after the step. A
# failed train or export skips the rest of its chain; a null script line skips that step with a note.
# One run at a time per model and mode: a run claims ./log/<model_name>/.<MODE>.lock first. A second run of the
# same model and mode in this repo refuses at once (exit 2, naming the running PID, its start time and its log
# folder), or, with TIPC_WAIT=1, waits for it; runs of other modes or models go on side by side. A claim left by a
# run that was killed (SIGKILL: no trap runs) is taken over, with a note; the killed run's step does not outlive
# it: the step's watch stops it within seconds.
# Rotation: if LOG_PATH exists from an earlier run it is first moved to
# ./log/<model_name>/<MODE>.prev-<YYYYmmdd-HHMMSS>, so each run starts clean and no run's logs are
# overwritten. The summary names the moved directory.
# Time limits: a step that runs past its limit (train 7200 s, the others 1800 s; the config's step_timeout line,
# or TIPC_STEP_TIMEOUT=<seconds> for every step) is stopped with everything it started and recorded as failed,
# "timed out after N s"; the chain goes on as after any failed step.
#
# Exit status: 0 when at least one step ran and none failed; 1 when a step failed or nothing ran;
# 2 for a bad argument or config (nothing is run); 130/143 when interrupted (SIGINT/SIGTERM). An interrupt sends
# the running step SIGTERM and, if it has not ended 10 s later, SIGKILL (the step log says so).
# bash cannot trap a signal that was ignored when it started: started with SIGINT ignored (e.g. `bash ... &` in
# a script: a non-interactive shell ignores SIGINT in its background commands), the harness and its steps do
# nothing on SIGINT or Ctrl-C and the run goes on to its end. Run it in the foreground, or stop it with SIGTERM
# (kill PID), which works unless it is ignored too.

set -o pipefail

TIPC_DIR=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR source=common_func.sh
source "$TIPC_DIR/common_func.sh"
func_now_us_into RUN_START_US

func_check_usage "$0" $# || exit 2
CONFIG=$1
MODE=$2
DEVICES=${TIPC_DEVICES:-all}
DRY_RUN=${TIPC_DRY_RUN:-}
[[ $DRY_RUN == 0 ]] && DRY_RUN=""

# ---- the plan (validation first: nothing runs unless the arguments and the config are sound)
func_load_plan plan "$CONFIG" "$MODE" || exit 2
model_name=$PLAN_MODEL_NAME
LOG_PATH=$PLAN_LOG_PATH
RESULTS_LOG="$LOG_PATH/results_python.log"

# ---- bookkeeping shared by the steps, the signal trap and the summary
rows=()
n_warn=0
n_pass=0
n_fail=0
n_skip=0
step_us_total=0
chain_skip=""     # reason the remaining steps of the current chain are skipped
gpu_problem=""    # why the current GPU entry cannot run (no CUDA), empty when it can
cuda_problem=unchecked
current_pid=""
current_label=""
current_log=""
current_cmd=""
current_start_us=0
current_timer=""
rotated_to=""
lock=""

add_row() { # STATUS SECONDS LABEL DETAIL
    local row
    printf -v row '%-4s %9s  %-44s %s' "$1" "$2" "$3" "$4"
    rows+=("$row")
}

skip_step() { # LABEL REASON
    n_skip=$((n_skip + 1))
    add_row SKIP - "$1" "($2)"
    if [[ -n $DRY_RUN ]]; then
        printf '[skip] %s: %s\n' "$1" "$2"
    else
        printf 'SKIP %s (%s)\n' "$1" "$2"
    fi
}

# Record the current step's outcome: results log line, summary row, terminal line. A NOTE (a passed step that
# did not do all a reader would think: the int8 model run without int8 kernels) makes the row WARN.
finish_step() { # STATUS MICROSECONDS [NOTE]
    local status=$1 us=$2 note=${3:-} seconds
    seconds=$(func_format_us "$us")
    step_us_total=$((step_us_total + us))
    if ! status_check "$status" "$current_cmd" "$RESULTS_LOG" 2> /dev/null; then
        printf 'TIPC: cannot write %s (read-only or full?); stopping: a step whose result is not recorded must not count\n' \
            "$RESULTS_LOG" >&2
        exit 1
    fi
    if [[ $status -eq 0 && -n $note ]]; then
        n_pass=$((n_pass + 1))
        n_warn=$((n_warn + 1))
        add_row WARN "${seconds}s" "$current_label" "$current_log"
        rows+=("               ${note}")
        printf 'WARN %s (%ss) log: %s\n     %s\n' "$current_label" "$seconds" "$current_log" "$note"
    elif [[ $status -eq 0 ]]; then
        n_pass=$((n_pass + 1))
        add_row PASS "${seconds}s" "$current_label" "$current_log"
        printf 'PASS %s (%ss) log: %s\n' "$current_label" "$seconds" "$current_log"
    else
        n_fail=$((n_fail + 1))
        add_row FAIL "${seconds}s" "$current_label" "$current_log"
        [[ -n $note ]] && rows+=("               ${note}")
        printf 'FAIL %s (%ss) log: %s\n' "$current_label" "$seconds" "$current_log"
        echo "---- last 30 lines of $current_log"
        tail -n 30 -- "$current_log"
        echo "----"
    fi
}

check_cuda_once() {
    [[ $cuda_problem != unchecked ]] && return 0
    # check_step.py cuda with the config's python (the one that runs the steps): nvidia-smi, a CUDA build of
    # paddle, a visible GPU; it prints why not, or nothing.
    cuda_problem=$("$PLAN_PYTHON" "$TIPC_DIR/check_step.py" cuda 2>&1) || {
        [[ -n $cuda_problem ]] || cuda_problem="'$PLAN_PYTHON' cannot run $TIPC_DIR/check_step.py"
        cuda_problem="${cuda_problem} ('$PLAN_PYTHON')"
        return 0
    }
    cuda_problem=""
}

# What a step that exited 0 must have done: check_step.py with the plan's arguments for the step (S_CHECK_ARGV_<i>:
# weights, model, predictions or outputs and what they check) prints why the step did not do its work and returns
# 1, or prints nothing; a step without them (the int8 step) is judged by its exit status.
check_done() { # CHECK_ARGV (an array name)
    local -n words=$1
    ((${#words[@]} == 0)) || func_check_step "${words[@]}"
}

# Run one step: the command ARGV (an array name) in folder CWD (empty: here) with stdout+stderr in LOG; when it
# exits 0, CHECK (see check_done) must hold too. Returns 0 when the step passed, 1 when it failed (whatever its
# exit status: a script may exit 3).
run_step() { # LABEL LOG ARGV CHECK CHECK_ARGV CWD TIMEOUT INT8_REPORT INT8_SWITCH
    local label=$1 log=$2 check=$4 check_argv=$5 cwd=$6 limit=${TIPC_STEP_TIMEOUT:-$7} int8_report=$8 int8_switch=$9
    local status end_us hint problem note="" verdict
    local fired="$TIPC_TMP/timed_out"
    local -n argv=$3
    current_label=$label
    current_log=$log
    func_shell_words_into current_cmd "${argv[@]}"
    [[ -n $cwd ]] && current_cmd="cd $(func_shell_quote "$cwd") && $current_cmd"
    if [[ -n $DRY_RUN ]]; then
        printf '[dry-run] %s\n' "$current_cmd"
        return 0
    fi
    if [[ -n $gpu_problem ]]; then
        # A GPU entry without CUDA fails loudly instead of passing on the CPU.
        hint="GPU entry needs a CUDA GPU and a CUDA build of paddle ($gpu_problem)."
        hint+=" To run the CPU entries only: TIPC_DEVICES=cpu bash $0 $(func_shell_quote "$CONFIG") $MODE"
        printf '%s\n' "$hint" > "$log"
        printf 'HINT %s\n' "$hint"
        finish_step 1 0
        chain_skip="GPU entry cannot run: $gpu_problem"
        return 1
    fi
    printf 'RUN  %s\n' "$label"
    if ! : > "$log"; then
        printf 'TIPC: cannot write the step log %s (read-only or full?)\n' "$log" >&2
        finish_step 1 0
        return 1
    fi
    func_now_us_into current_start_us
    # The auto_log stand-in writes a predictor's report file (save_path) here instead of into the repo's tree.
    export TIPC_STEP_LOG_DIR="$PWD/${log%/*}"
    if [[ -n $cwd ]]; then
        (cd -- "$cwd" && exec "${argv[@]}") > "$log" 2>&1 < /dev/null &
    else
        "${argv[@]}" > "$log" 2>&1 < /dev/null &
    fi
    current_pid=$!
    # The time limit: a watch in its own process group stops the step's whole group when the limit is reached,
    # or when this harness is gone (killed with SIGKILL, which no trap sees).
    rm -f -- "$fired"
    func_step_watch "$current_pid" "$limit" "$fired" "$log" "$label" "${TIPC_STALL_SECONDS:-300}" 2> /dev/null &
    current_timer=$!
    wait "$current_pid"
    status=$?
    stop_timer
    if [[ -e $fired ]]; then
        # The step's leader is gone; what it started may still be stopping: KILL what is left after 10 s.
        if ! func_wait_group_gone "$current_pid" 100; then
            kill -KILL -- "-$current_pid" 2> /dev/null
            func_wait_group_gone "$current_pid" 50
        fi
        printf '\nTIPC: timed out after %s s (the step time limit: the config'"'"'s step_timeout line or TIPC_STEP_TIMEOUT)\n' \
            "$limit" >> "$log"
        printf 'TIMEOUT %s: timed out after %s s\n' "$label" "$limit"
        status=124
    fi
    current_pid=""
    if [[ $status -eq 0 ]] && ! problem=$(check_done "$check_argv"); then
        printf '%s\n' "$problem" >> "$log"
        status=1
    fi
    if [[ $status -eq 0 && -n $int8_report ]]; then
        # Did the repo's predictor run the quantized model with int8 kernels (and did the int8 step count the ops
        # that ran in int8)? int8_check.py note says, from the step's log and the int8 step's report: PASS, WARN or
        # FAIL on its first line, the reason on the second.
        local -a strict=()
        [[ $PLAN_INT8_STRICT == 1 ]] && strict=(--strict)
        local kind=infer
        [[ $check == int8 ]] && kind=int8
        verdict=$(func_int8_report note --report="$int8_report" --log="$log" --int8-switch="$int8_switch" \
            --step="$kind" "${strict[@]}" 2>&1) ||
            verdict=$'WARN\nthe int8 verdict of this row could not be made: '"${verdict//$'\n'/ }"
        note=$(sed -n 2p <<< "$verdict")
        if [[ $(sed -n 1p <<< "$verdict") == FAIL ]]; then
            printf 'TIPC: %s (config int8_strict:True)\n' "$note" >> "$log"
            status=1
        fi
    fi
    if ((status != 0 && status != 124)); then
        # A known cause of the failure (check_step.py hint reads the log), for the log and the terminal.
        hint=$(func_check_step hint "$log" "$status" 2> /dev/null)
        if [[ -n $hint ]]; then
            printf 'TIPC hint: %s\n' "$hint" >> "$log"
            printf 'HINT %s: %s\n' "$label" "$hint"
        fi
    fi
    func_now_us_into end_us
    finish_step "$status" $((end_us - current_start_us)) "$note"
    ((status == 0))
}

# Stop the current step's timer (and its sleep) if it has not fired.
stop_timer() {
    [[ -n $current_timer ]] || return 0
    kill -- "-$current_timer" 2> /dev/null || kill "$current_timer" 2> /dev/null
    wait "$current_timer" 2> /dev/null
    current_timer=""
}

# Leave the claim of this model and mode (on every exit of a real run) and the temporary folder.
# shellcheck disable=SC2329  # the EXIT trap calls it
release() {
    stop_timer
    [[ -n $lock ]] && rm -rf -- "$lock"
    [[ -n ${TIPC_TMP:-} ]] && rm -rf -- "$TIPC_TMP"
}

print_summary() {
    local now_us wall_us overhead_us permille row
    func_now_us_into now_us
    wall_us=$((now_us - RUN_START_US))
    overhead_us=$((wall_us - step_us_total))
    permille=$((wall_us > 0 ? overhead_us * 1000 / wall_us : 0))
    echo
    echo "==================== TIPC summary: ${model_name} ${MODE} ===================="
    for row in "${rows[@]}"; do
        printf '%s\n' "$row"
    done
    echo "steps: ${n_pass} passed, ${n_fail} failed, ${n_skip} skipped"
    ((n_warn > 0)) && echo "warnings: ${n_warn} passed step(s) did not do all they seem to (the WARN rows say what)"
    if compgen -G "$LOG_PATH/*_int8.json" > /dev/null; then
        echo "int8 (the int8 step of each export):"
        func_int8_report facts "$LOG_PATH" | sed 's/^/  /'
    fi
    if compgen -G "$LOG_PATH/*_eval.log" > /dev/null; then
        echo "evaluation (the metrics line of each eval log):"
        func_check_step metrics "$LOG_PATH" | sed 's/^/  /'
    fi
    printf 'wall time: %ss, step processes: %ss, harness overhead: %ss (%d.%d%%)\n' \
        "$(func_format_us "$wall_us")" "$(func_format_us "$step_us_total")" \
        "$(func_format_us "$overhead_us")" $((permille / 10)) $((permille % 10))
    echo "results log: ${RESULTS_LOG}"
    if [[ -n $rotated_to ]]; then
        echo "previous run's logs moved to: ${rotated_to}"
    fi
}

# shellcheck disable=SC2329  # called by the INT/TERM traps
on_signal() { # NAME EXIT_CODE
    local name=$1 code=$2 now_us
    trap - INT TERM
    stop_timer
    if [[ -n $current_pid ]]; then
        # Steps run in their own process group (set -m): stop the step and anything it started, and
        # wait until all of it is gone, so nothing writes into the logs or the next run afterwards.
        # SIGTERM first; what still runs 10 s later gets SIGKILL. A step can hang in its own SIGTERM
        # handler (Paddle's prints a C++ traceback from inside the handler, which can deadlock), and
        # an unbounded wait would then hold the harness, and whoever interrupted it, forever.
        local killed="$TIPC_TMP/killed"
        rm -f -- "$killed"
        kill -TERM -- "-$current_pid" 2> /dev/null || kill -TERM "$current_pid" 2> /dev/null
        (sleep 10 && : > "$killed" && kill -KILL -- "-$current_pid" 2> /dev/null) > /dev/null 2>&1 &
        current_timer=$!
        wait "$current_pid" 2> /dev/null
        stop_timer
        if ! func_wait_group_gone "$current_pid" 100; then
            : > "$killed"
            kill -KILL -- "-$current_pid" 2> /dev/null
            func_wait_group_gone "$current_pid" 50
        fi
        current_pid=""
        if [[ -e $killed ]]; then
            printf '\nTIPC: the step did not stop within 10 s of SIGTERM: killed (SIGKILL)\n' >> "$current_log"
        fi
        printf '\ninterrupted by SIG%s\n' "$name" >> "$current_log"
        func_now_us_into now_us
        finish_step 1 $((now_us - current_start_us))
    fi
    print_summary
    echo "TIPC ${MODE}: INTERRUPTED by SIG${name}"
    exit "$code"
}

# ---- run
if [[ -z $DRY_RUN ]]; then
    if ! mkdir -p -- "${LOG_PATH%/*}"; then
        echo "cannot create the log folder ${LOG_PATH%/*} (read-only or full?)" >&2
        exit 1
    fi
    lock="${LOG_PATH%/*}/.${MODE}.lock"
    while true; do
        func_claim_lock "$lock"
        claim=$?
        ((claim == 0)) && break
        if ((claim == 2)); then
            echo "cannot create $lock in ${LOG_PATH%/*} (read-only or full?)" >&2
            lock=""
            exit 1
        fi
        if [[ -z ${TIPC_WAIT:-} || ${TIPC_WAIT:-} == 0 ]]; then
            printf 'another TIPC run of %s %s is going on in this repo (%s), writing %s: wait for it to end, or run\n' \
                "$model_name" "$MODE" "$TIPC_LOCK_OWNER" "$LOG_PATH" >&2
            printf 'with TIPC_WAIT=1 to start when it has; runs of other modes or configs may run side by side\n' >&2
            lock=""
            exit 2
        fi
        printf 'waiting for the other TIPC run of %s %s (%s) to end\n' "$model_name" "$MODE" "$TIPC_LOCK_OWNER"
        sleep 2
    done
    TIPC_TMP=$(mktemp -d) || exit 1
    trap release EXIT
    if [[ -e $LOG_PATH ]]; then
        printf -v stamp '%(%Y%m%d-%H%M%S)T' -1
        rotated_to="${LOG_PATH}.prev-${stamp}"
        suffix=2
        while [[ -e $rotated_to ]]; do
            rotated_to="${LOG_PATH}.prev-${stamp}-${suffix}"
            suffix=$((suffix + 1))
        done
        if ! mv -- "$LOG_PATH" "$rotated_to"; then
            echo "cannot move the previous run's $LOG_PATH aside to $rotated_to" >&2
            exit 1
        fi
        echo "previous run's logs moved to: $rotated_to"
    fi
    if ! mkdir -p -- "$LOG_PATH" || ! : > "$RESULTS_LOG"; then
        echo "cannot create $RESULTS_LOG (read-only or full?)" >&2
        exit 1
    fi
    # Each step gets its own process group so an interrupt can stop it with all its children.
    set -m
    trap 'on_signal INT 130' INT
    trap 'on_signal TERM 143' TERM
fi

# The config's python_path folders first (tipc_config.py makes the links of <package>=<folder> entries), an
# auto_log for suite predictors that import it last.
python_path=$(func_tipc_config python-path "$CONFIG" "$MODE") || exit 1
shims="$(cd -- "$TIPC_DIR" && pwd)/py_shims"
export PYTHONPATH="${python_path:+$python_path:}${PYTHONPATH:+$PYTHONPATH:}$shims"
# The system zlib first in every step (tipc_config.py found it; TIPC_PRELOAD_ZLIB=0 turns this off): Paddle 2.6's
# libpaddle.so exports zlib's functions, and a zlib call made after `import paddle` would run that copy and crash.
if [[ -n $PLAN_PRELOAD ]]; then
    export LD_PRELOAD="$PLAN_PRELOAD${LD_PRELOAD:+:$LD_PRELOAD}"
    [[ -n $DRY_RUN ]] || echo "LD_PRELOAD of every step: $LD_PRELOAD (the system zlib first; TIPC_PRELOAD_ZLIB=0 turns it off)"
fi
[[ -n $python_path ]] && echo "PYTHONPATH of every step: $PYTHONPATH"

echo "TIPC ${model_name} ${MODE}: entries ${PLAN_GPU_LIST} (TIPC_DEVICES=${DEVICES}), logs in ${LOG_PATH}"
for hint in "${PLAN_HINTS[@]}"; do
    printf 'HINT %s\n' "$hint"
done

# The plan's steps in order; S_CHAIN groups them into chains (one trainer on one gpu_list entry, or one
# whole_infer entry). A skipped chain (C_SKIP) or a failed train/export (S_ON_FAIL) skips the rest of the chain.
chain=-1
for index in "${!S_LABEL[@]}"; do
    if [[ ${S_CHAIN[index]} != "$chain" ]]; then
        chain=${S_CHAIN[index]}
        # shellcheck disable=SC2153  # C_SKIP comes from the plan
        chain_skip=${C_SKIP[chain]}
        gpu_problem=""
        if [[ -z $chain_skip && -z $DRY_RUN && ${C_GPU[chain]} == 1 ]]; then
            check_cuda_once
            gpu_problem=$cuda_problem
        fi
    fi
    label=${S_LABEL[index]}
    if [[ -n $chain_skip || -n ${S_SKIP[index]} ]]; then
        skip_step "$label" "${chain_skip:-${S_SKIP[index]}}"
        [[ -z $chain_skip ]] && chain_skip=${S_THEN_SKIP[index]}
        continue
    fi
    if ! run_step "$label" "${S_LOG[index]}" "S_ARGV_$index" "${S_CHECK[index]}" "S_CHECK_ARGV_$index" \
        "${S_CWD[index]}" "${S_TIMEOUT[index]}" "${S_INT8_REPORT[index]}" "${S_INT8_SWITCH[index]}"; then
        [[ -z $chain_skip ]] && chain_skip=${S_ON_FAIL[index]}
    fi
done

if [[ -n $DRY_RUN ]]; then
    echo "dry run: nothing was run, no log was written"
    exit 0
fi

trap - INT TERM
print_summary
if ((n_fail > 0)); then
    echo "TIPC ${MODE}: FAILED (${n_fail} of $((n_pass + n_fail)) steps failed)"
    exit 1
fi
if ((n_pass == 0)); then
    echo "TIPC ${MODE}: FAILED (no step ran; check TIPC_DEVICES and the config's null entries)"
    exit 1
fi
if ((n_warn > 0)); then
    echo "TIPC ${MODE}: PASSED (${n_pass} steps, ${n_warn} with a warning: see the WARN rows)"
    exit 0
fi
echo "TIPC ${MODE}: PASSED (${n_pass} steps)"
exit 0
