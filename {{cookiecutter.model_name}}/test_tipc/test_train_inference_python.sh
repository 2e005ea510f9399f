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
# Per-mode values: lines 6 (epochs), 8 (batch size), 9 (weights training starts from), 11 (data set) and 34
# (accuracy check) may hold "mode=value" items separated by '|', e.g.
# --pretrained:lite_train_lite_infer=null|whole_train_whole_infer=./pretrain_models/fp32.pdparams; the item of
# MODE is used (a mode not listed: the argument is left out). A plain value applies to every mode.
#
# Environment:
#   TIPC_DEVICES=cpu|gpu|all  run only the CPU entries (-1, -1,-1), only the GPU entries (0, 0,1),
#                             or every entry (default). Entries left out are listed as skipped.
#   TIPC_DRY_RUN=1            validate, print every step's command ("[dry-run] <command>"), run
#                             nothing, write nothing.
#
# Output, all under ./log/<model_name>/<MODE>/ (LOG_PATH):
#   results_python.log  one "Run successfully|failed with command - <command>!" line per step
#   <trainer>_<tag>_<step>.log  stdout+stderr of each step; <tag> names the entry: cpu, cpu_x2,
#                       gpus_0, gpus_0,1. <trainer>_<tag>/ holds what the steps write.
# A step passes when its command exits 0 and, for train and export, it wrote what the next step reads:
# train the weights <save>/<line 10> (or <line 10>.pdparams), export an inference model (*.pdmodel, or
# *.json with its .pdiparams) in <save>. A null script line (14, 17, 22, 25) skips that step with a
# note; nothing exported (line 22 null) skips the inference of the chain too, as upstream does, while
# whole_infer with line 25 null runs inference on the model of line 30.
# Optional lines 33-38 (upstream scripts ignore them; check_config.py --explain lists them): line 33 the
# header ===...infer_benchmark_params===..., line 34 accuracy_check:<script> (a check run after every export
# as <script> <line 21 key>=<exported weights> <line 30 key>=<export dir>, log <trainer>_<tag>_accuracy.log),
# lines 35-38 inference loops <key>:<values>: 35 oneDNN and 36 CPU threads (CPU inference values of line 28),
# 37 precision (all), 38 TensorRT (GPU inference values). Each combination x line-29 batch size is one
# inference step and one log, e.g. pact_train_cpu_infer_cpu_mkldnn_True_threads_2_precision_auto_batchsize_1.log.
# Without these lines the harness runs exactly the 32-line chain. Line 39 (fp32_pretrain) is read by prepare.sh only.
# Rotation: if LOG_PATH exists from an earlier run it is first moved to
# ./log/<model_name>/<MODE>.prev-<YYYYmmdd-HHMMSS>, so each run starts clean and no run's logs are
# overwritten. The summary names the moved directory.
#
# Exit status: 0 when at least one step ran and none failed; 1 when a step failed or nothing ran;
# 2 for a bad argument or config (nothing is run); 130/143 when interrupted (SIGINT/SIGTERM).
# bash cannot trap a signal that was ignored when it started: started with SIGINT ignored (e.g. `bash ... &` in
# a script: a non-interactive shell ignores SIGINT in its background commands), the harness and its steps do
# nothing on SIGINT or Ctrl-C and the run goes on to its end. Run it in the foreground, or stop it with SIGTERM
# (kill PID), which works unless it is ignored too.

set -o pipefail

if ((BASH_VERSINFO[0] < 4)); then
    echo "test_train_inference_python.sh needs bash >= 4 (found $BASH_VERSION)" >&2
    exit 2
fi

TIPC_DIR=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR source=common_func.sh
source "$TIPC_DIR/common_func.sh"

func_now_us_into RUN_START_US

if [[ $# -ne 2 ]]; then
    echo "usage: bash $0 CONFIG MODE  (MODE: lite_train_lite_infer, lite_train_whole_infer," \
        "whole_train_whole_infer, whole_infer)" >&2
    exit 2
fi
CONFIG=$1
MODE=$2
DEVICES=${TIPC_DEVICES:-all}
DRY_RUN=${TIPC_DRY_RUN:-}
[[ $DRY_RUN == 0 ]] && DRY_RUN=""

# ---- validation: nothing runs unless the arguments and the config are sound
func_check_config "$CONFIG" "$MODE" || exit 2
case $DEVICES in
    cpu | gpu | all) ;;
    *)
        echo "TIPC_DEVICES: expected cpu, gpu or all, found '$DEVICES'" >&2
        exit 2
        ;;
esac

func_read_config "$CONFIG"
value_of() { func_parser_value "${CONFIG_LINES[$1]}"; }
key_of() { func_parser_key "${CONFIG_LINES[$1]}"; }

model_name=$(value_of 2)
python=$(value_of 3)
python_q=$(func_shell_quote "$python")
gpu_list=$(value_of 4)
device_key=$(key_of 5)
device_values=$(value_of 5)
epoch_key=$(key_of 6)
epoch_num=$(func_parser_params "${CONFIG_LINES[6]}" "$MODE")
save_key=$(key_of 7)
batch_key=$(key_of 8)
batch_num=$(func_parser_params "${CONFIG_LINES[8]}" "$MODE")
pretrain_key=$(key_of 9)
pretrain_value=$(func_parser_params "${CONFIG_LINES[9]}" "$MODE")
train_model_name=$(value_of 10)
data_key=$(key_of 11)
data_value=$(func_parser_params "${CONFIG_LINES[11]}" "$MODE")
trainer_list=$(value_of 13)
trainer_key=$(key_of 14)
trainer_script=$(value_of 14)
eval_script=$(value_of 17)
export_dir_key=$(key_of 20)
export_weights_key=$(key_of 21)
export_script=$(value_of 22)
whole_infer_weights=$(value_of 24)
whole_infer_export=$(value_of 25)
infer_script=$(value_of 27)
infer_device_key=$(key_of 28)
infer_batch_key=$(key_of 29)
infer_model_key=$(key_of 30)
infer_model_value=$(value_of 30)
img_key=$(key_of 31)
img_value=$(value_of 31)
benchmark_key=$(key_of 32)
benchmark_value=$(value_of 32)

# Optional extension lines 33-38 (validated by check_config.py): absent lines, null keys and null values
# leave their loop out, so a 32-line config runs as upstream's does.
has_extensions=""
func_is_extension_header "${CONFIG_LINES[33]:-}" && has_extensions=1
accuracy_script=""
[[ -n $has_extensions ]] && accuracy_script=$(func_parser_params "${CONFIG_LINES[34]:-}" "$MODE")

# Key of extension loop line N into LOOP_KEY and its '|' values into LOOP_VALUES. No loop (the line is absent,
# or its key or value is null) gives an empty key and one empty value: the step runs once without the argument.
read_loop_line() { # N
    local line=${CONFIG_LINES[$1]:-} value
    LOOP_KEY=""
    LOOP_VALUES=("")
    [[ -n $has_extensions && $line == *:* ]] || return 0
    value=$(func_parser_value "$line")
    if [[ $(func_parser_key "$line") == null || -z $value || $value == null ]]; then
        return 0
    fi
    LOOP_KEY=$(func_parser_key "$line")
    IFS='|' read -r -a LOOP_VALUES <<< "$value"
}
read_loop_line 35
mkldnn_key=$LOOP_KEY
mkldnn_values=("${LOOP_VALUES[@]}")
read_loop_line 36
threads_key=$LOOP_KEY
threads_values=("${LOOP_VALUES[@]}")
read_loop_line 37
precision_key=$LOOP_KEY
precision_values=("${LOOP_VALUES[@]}")
read_loop_line 38
trt_key=$LOOP_KEY
trt_values=("${LOOP_VALUES[@]}")

IFS='|' read -r -a entries <<< "$gpu_list"
IFS='|' read -r -a trainers <<< "$trainer_list"
IFS='|' read -r -a infer_devices <<< "$(value_of 28)"
IFS='|' read -r -a infer_batches <<< "$(value_of 29)"
((${#infer_devices[@]})) || infer_devices=(null)
((${#infer_batches[@]})) || infer_batches=(null)

LOG_PATH="./log/${model_name}/${MODE}"
RESULTS_LOG="$LOG_PATH/results_python.log"

# ---- bookkeeping shared by the steps, the signal trap and the summary
rows=()
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
rotated_to=""

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

# Record the current step's outcome: results log line, summary row, terminal line.
finish_step() { # STATUS MICROSECONDS
    local status=$1 us=$2 seconds
    seconds=$(func_format_us "$us")
    step_us_total=$((step_us_total + us))
    status_check "$status" "$current_cmd" "$RESULTS_LOG"
    if [[ $status -eq 0 ]]; then
        n_pass=$((n_pass + 1))
        add_row PASS "${seconds}s" "$current_label" "$current_log"
        printf 'PASS %s (%ss) log: %s\n' "$current_label" "$seconds" "$current_log"
    else
        n_fail=$((n_fail + 1))
        add_row FAIL "${seconds}s" "$current_label" "$current_log"
        printf 'FAIL %s (%ss) log: %s\n' "$current_label" "$seconds" "$current_log"
        echo "---- last 30 lines of $current_log"
        tail -n 30 -- "$current_log"
        echo "----"
    fi
}

check_cuda_once() {
    [[ $cuda_problem != unchecked ]] && return 0
    if ! command -v nvidia-smi > /dev/null 2>&1; then
        cuda_problem="nvidia-smi not found"
    elif ! "$python" -c 'import sys, paddle
ok = paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0
sys.exit(0 if ok else 1)' > /dev/null 2>&1; then
        cuda_problem="'$python' has no CUDA build of paddle or sees no GPU"
    else
        cuda_problem=""
    fi
}

# What a step that exited 0 must have written. Each prints why the step did not do its work and
# returns 1, or prints nothing.
# shellcheck disable=SC2329  # called through run_step's CHECK arguments
check_weights_written() { # WEIGHTS
    [[ -f $1 || -f $1.pdparams ]] && return 0
    printf 'TIPC: the step exited 0 but did not write %s, which evaluation and export read (config line 10,' "$1"
    printf ' %s, names the weights file the training saves in its output directory)\n' "$(key_of 10)"
    return 1
}

# shellcheck disable=SC2329  # called through run_step's CHECK arguments
check_model_exported() { # DIR
    func_find_inference_model "$1" > /dev/null && return 0
    printf 'TIPC: the step exited 0 but %s holds no inference model (*.pdmodel, or *.json with' "$1"
    printf ' its .pdiparams) for inference to run\n'
    return 1
}

# Run one step: CMD (a command string, eval'd like upstream so keys may hold several words) with
# stdout+stderr in LOG. CHECK... (optional) runs when CMD exits 0: a check_* function and its
# arguments; when it fails, its message is appended to LOG and the step is recorded as failed.
# Returns 0 when the step passed, 1 when it failed (whatever its exit status: a script may exit 3),
# 3 when it was skipped.
run_step() { # LABEL LOG CMD [CHECK...]
    local label=$1 log=$2 cmd=$3 status end_us hint problem
    shift 3
    if [[ -n $chain_skip ]]; then
        skip_step "$label" "$chain_skip"
        return 3
    fi
    if [[ -n $DRY_RUN ]]; then
        printf '[dry-run] %s\n' "$cmd"
        return 0
    fi
    current_label=$label
    current_log=$log
    current_cmd=$cmd
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
    func_now_us_into current_start_us
    eval "$cmd" > "$log" 2>&1 < /dev/null &
    current_pid=$!
    wait "$current_pid"
    status=$?
    current_pid=""
    if [[ $status -eq 0 && $# -gt 0 ]] && ! problem=$("$@"); then
        printf '%s\n' "$problem" >> "$log"
        status=1
    fi
    func_now_us_into end_us
    finish_step "$status" $((end_us - current_start_us))
    ((status == 0)) || return 1
    return 0
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
    if [[ -n $current_pid ]]; then
        # Steps run in their own process group (set -m): stop the step and anything it started, and
        # wait until all of it is gone, so nothing writes into the logs or the next run afterwards.
        kill -TERM -- "-$current_pid" 2> /dev/null || kill -TERM "$current_pid" 2> /dev/null
        wait "$current_pid" 2> /dev/null
        if ! func_wait_group_gone "$current_pid" 100; then
            kill -KILL -- "-$current_pid" 2> /dev/null
            func_wait_group_gone "$current_pid" 50
        fi
        current_pid=""
        printf '\ninterrupted by SIG%s\n' "$name" >> "$current_log"
        func_now_us_into now_us
        finish_step 1 $((now_us - current_start_us))
    fi
    print_summary
    echo "TIPC ${MODE}: INTERRUPTED by SIG${name}"
    exit "$code"
}

# The inference steps of one chain: every line-28 device value x every line-29 batch size, and with the
# extension lines the loops of lines 35-38: oneDNN x threads x precision for a CPU value, TensorRT x precision
# for a GPU value.
run_infer_steps() { # PREFIX ENV KIND MODEL_DIR
    local prefix=$1 env_prefix=$2 kind=$3 model_dir=$4 use_gpu batch dtag label cmd first second precision combo
    local -a names keys first_values second_values
    for use_gpu in "${infer_devices[@]}"; do
        dtag=$(func_infer_device_tag "$use_gpu")
        if func_is_gpu_value "$use_gpu"; then
            names=(tensorrt "")
            keys=("$trt_key" "")
            first_values=("${trt_values[@]}")
            second_values=("")
        else
            names=(mkldnn threads)
            keys=("$mkldnn_key" "$threads_key")
            first_values=("${mkldnn_values[@]}")
            second_values=("${threads_values[@]}")
        fi
        for first in "${first_values[@]}"; do
            for second in "${second_values[@]}"; do
                for precision in "${precision_values[@]}"; do
                    combo=$(func_infer_combo_tag "${names[0]}" "$first" "${names[1]}" "$second" \
                        precision "$precision")
                    for batch in "${infer_batches[@]}"; do
                        label="${prefix}/infer_${dtag}${combo:+_$combo}_batchsize_${batch//[^A-Za-z0-9_.-]/_}"
                        if [[ $kind == cpu ]] && func_is_gpu_value "$use_gpu" && [[ -z $chain_skip ]]; then
                            skip_step "$label" "${infer_device_key}=${use_gpu} needs a GPU entry"
                            continue
                        fi
                        cmd=$(func_join "$env_prefix" "$python_q" "$infer_script" \
                            "$(func_set_params "$infer_device_key" "$use_gpu")" \
                            "$(func_set_params "${keys[0]}" "$first")" \
                            "$(func_set_params "${keys[1]}" "$second")" \
                            "$(func_set_params "$precision_key" "$precision")" \
                            "$(func_set_params "$infer_model_key" "$model_dir")" \
                            "$(func_set_params "$infer_batch_key" "$batch")" \
                            "$(func_set_params "$img_key" "$img_value")" \
                            "$(func_set_params "$benchmark_key" "$benchmark_value")")
                        run_step "$label" "$LOG_PATH/${label//\//_}.log" "$cmd"
                    done
                done
            done
        done
    done
}

# The accuracy step (extension line 34) after an export: the script checks the inference model in
# MODEL_DIR against the WEIGHTS it was exported from, which it gets with the export's weights argument
# (line 21 key) and the inference model argument (line 30 key). A failure does not stop the inference steps.
run_accuracy_step() { # PREFIX ENV WEIGHTS MODEL_DIR
    local prefix=$1 env_prefix=$2 weights=$3 model_dir=$4 cmd
    [[ -z $accuracy_script ]] && return 0
    if [[ ${accuracy_script%% *} == null ]]; then
        skip_step "$prefix/accuracy" "${chain_skip:-line 34 (accuracy_check) is null}"
        return 0
    fi
    cmd=$(func_join "$env_prefix" "$python_q" "$accuracy_script" \
        "$(func_set_params "$export_weights_key" "$weights")" \
        "$(func_set_params "$infer_model_key" "$model_dir")")
    run_step "$prefix/accuracy" "$LOG_PATH/${prefix}_accuracy.log" "$cmd"
}

# The export step: SCRIPT exports WEIGHTS into SAVE_DIR, which must then hold an inference model;
# when it fails, the chain's inference steps are skipped.
run_export_step() { # PREFIX ENV SCRIPT WEIGHTS SAVE_DIR
    local prefix=$1 env_prefix=$2 script=$3 weights=$4 save_dir=$5 cmd
    cmd=$(func_join "$env_prefix" "$python_q" "$script" \
        "$(func_set_params "$export_weights_key" "$weights")" \
        "$(func_set_params "$export_dir_key" "$save_dir")")
    if ! run_step "$prefix/export" "$LOG_PATH/${prefix}_export.log" "$cmd" check_model_exported "$save_dir"; then
        [[ -z $chain_skip ]] && chain_skip="export failed"
    fi
}

# train -> eval -> export -> inference of one trainer on one entry.
run_train_chain() { # TRAINER ENTRY ENV KIND TAG DEVICE
    local trainer=$1 entry=$2 env_prefix=$3 kind=$4 tag=$5 device=$6
    local prefix="${trainer}_${tag}" save_dir script cmd weights
    save_dir="$LOG_PATH/$prefix"
    weights="$save_dir/$train_model_name"
    script=""
    [[ $trainer == "$trainer_key" ]] && script=$trainer_script
    if [[ -z $script || $script == null ]]; then
        skip_step "$prefix/train" "no script for trainer ${trainer} on line 14"
        [[ -z $chain_skip ]] && chain_skip="trainer ${trainer} has no script, nothing to evaluate"
    else
        cmd=$(func_join "$env_prefix" "$python_q" \
            "$(func_launch_args "$entry" "$save_dir/launch_logs")" "$script" \
            "$(func_set_params "$device_key" "$device")" \
            "$(func_set_params "$save_key" "$save_dir")" \
            "$(func_set_params "$epoch_key" "$epoch_num")" \
            "$(func_set_params "$pretrain_key" "$pretrain_value")" \
            "$(func_set_params "$batch_key" "$batch_num")" \
            "$(func_set_params "$data_key" "$data_value")")
        run_step "$prefix/train" "$LOG_PATH/${prefix}_train.log" "$cmd" check_weights_written "$weights"
        case $? in
            0) ;;
            3) ;;
            *) [[ -z $chain_skip ]] && chain_skip="train failed" ;;
        esac
    fi

    if [[ $eval_script == null ]]; then
        skip_step "$prefix/eval" "${chain_skip:-line 17 (eval) is null}"
    else
        cmd=$(func_join "$env_prefix" "$python_q" "$eval_script" \
            "$(func_set_params "$device_key" "$device")" \
            "$(func_set_params "$pretrain_key" "$weights")" \
            "$(func_set_params "$data_key" "$data_value")")
        run_step "$prefix/eval" "$LOG_PATH/${prefix}_eval.log" "$cmd"
    fi

    if [[ $export_script == null ]]; then
        skip_step "$prefix/export" "${chain_skip:-line 22 (norm_export) is null}"
        [[ -z $chain_skip ]] && chain_skip="nothing exported (line 22 is null)"
    else
        run_export_step "$prefix" "$env_prefix" "$export_script" "$weights" "$save_dir"
        run_accuracy_step "$prefix" "$env_prefix" "$weights" "$save_dir"
    fi

    run_infer_steps "$prefix" "$env_prefix" "$kind" "$save_dir"
}

# whole_infer: export the line-24 weights with line 25 (unless null), check the export (line 34, if set),
# then run inference on it.
run_whole_infer_chain() { # ENV KIND TAG
    local env_prefix=$1 kind=$2 tag=$3
    local prefix="whole_infer_${tag}" save_dir model_dir
    save_dir="$LOG_PATH/$prefix"
    model_dir=$infer_model_value
    if [[ $whole_infer_export == null ]]; then
        skip_step "$prefix/export" "${chain_skip:-line 25 (infer_export) is null: inference runs the model in $model_dir}"
        if [[ -n $accuracy_script && ${accuracy_script%% *} != null ]]; then
            skip_step "$prefix/accuracy" "${chain_skip:-line 25 (infer_export) is null: no export of the line-24 weights to check}"
        fi
    else
        model_dir=$save_dir
        run_export_step "$prefix" "$env_prefix" "$whole_infer_export" "$whole_infer_weights" "$save_dir"
        run_accuracy_step "$prefix" "$env_prefix" "$whole_infer_weights" "$save_dir"
    fi
    run_infer_steps "$prefix" "$env_prefix" "$kind" "$model_dir"
}

# ---- run
if [[ -z $DRY_RUN ]]; then
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
        echo "cannot create $RESULTS_LOG" >&2
        exit 1
    fi
    # Each step gets its own process group so an interrupt can stop it with all its children.
    set -m
    trap 'on_signal INT 130' INT
    trap 'on_signal TERM 143' TERM
fi

echo "TIPC ${model_name} ${MODE}: entries ${gpu_list} (TIPC_DEVICES=${DEVICES}), logs in ${LOG_PATH}"
if [[ $MODE != whole_infer && -n $data_value && $data_value != null && ! -e $data_value ]]; then
    # Training will fail; say what makes the data set before it does.
    printf "HINT data set '%s' (config line 11) not found: run bash %s %s %s first\n" "$data_value" \
        "$TIPC_DIR/prepare.sh" "$(func_shell_quote "$CONFIG")" "$MODE"
fi
if [[ $MODE != whole_infer && -n $pretrain_value && $pretrain_value != null && ! -e $pretrain_value ]]; then
    printf "HINT weights '%s' (config line 9) not found: run bash %s %s %s first\n" "$pretrain_value" \
        "$TIPC_DIR/prepare.sh" "$(func_shell_quote "$CONFIG")" "$MODE"
fi

for index in "${!entries[@]}"; do
    entry=${entries[index]}
    kind=$(func_entry_kind "$entry")
    tag=$(func_entry_tag "$entry")
    nproc=$(func_entry_nproc "$entry")
    env_prefix=$(func_entry_env "$entry")
    device=$(func_pick_alternative "$device_values" "$index")
    entry_skip=""
    if [[ $DEVICES != all && $DEVICES != "$kind" ]]; then
        entry_skip="entry ${entry} not selected (TIPC_DEVICES=${DEVICES})"
    fi
    if [[ $MODE == whole_infer && $nproc -gt 1 && -z $entry_skip ]]; then
        entry_skip="whole_infer runs single-process entries only"
    fi
    gpu_problem=""
    if [[ -z $entry_skip && -z $DRY_RUN && $kind == gpu ]]; then
        check_cuda_once
        gpu_problem=$cuda_problem
    fi
    if [[ $MODE == whole_infer ]]; then
        chain_skip=$entry_skip
        run_whole_infer_chain "$env_prefix" "$kind" "$tag"
    else
        for trainer in "${trainers[@]}"; do
            chain_skip=$entry_skip
            run_train_chain "$trainer" "$entry" "$env_prefix" "$kind" "$tag" "$device"
        done
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
echo "TIPC ${MODE}: PASSED (${n_pass} steps)"
exit 0
