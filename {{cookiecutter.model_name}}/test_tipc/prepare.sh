#!/usr/bin/env bash
# Prepare what a TIPC run needs, offline (nothing is downloaded).
#
# Usage (from the repo root): bash test_tipc/prepare.sh CONFIG MODE
#   lite_train_lite_infer, lite_train_whole_infer: build test_images/lite_data.tar with
#       test_tipc/make_lite_data.py if it is missing, then extract it to ./lite_data (replacing an
#       older ./lite_data).
#   whole_train_whole_infer: the data set of config line 11 (its value for this mode): ./whole_data is
#       built like ./lite_data from test_images/whole_data.tar (the whole bundled digits set, made by
#       make_lite_data.py if missing); any other path must exist. Then the FP32 weights of line 9 (its
#       value for this mode, unless null): when they do not exist, the optional line 39 (fp32_pretrain)
#       trains them: <line 39 command> <line 5 key>=<first entry's device> <line 7 key>=<weights
#       without .pdparams>_train <line 11 key>=<data set>, and its <line 10> file is copied to the
#       line-9 path. Existing weights are kept (delete them to train again).
#   whole_infer: check that the weights on config line 24 exist (line 25 null: that the folder of
#       line 30 holds an inference model).
# Safe to repeat in the same directory. Exit status: 0 ready, 1 something is missing or broken,
# 2 bad argument or config.

set -o pipefail

if ((BASH_VERSINFO[0] < 4)); then
    echo "prepare.sh needs bash >= 4 (found $BASH_VERSION)" >&2
    exit 2
fi

TIPC_DIR=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR source=common_func.sh
source "$TIPC_DIR/common_func.sh"

if [[ $# -ne 2 ]]; then
    echo "usage: bash $0 CONFIG MODE  (MODE: lite_train_lite_infer, lite_train_whole_infer," \
        "whole_train_whole_infer, whole_infer)" >&2
    exit 2
fi
CONFIG=$1
MODE=$2
func_check_config "$CONFIG" "$MODE" || exit 2
func_read_config "$CONFIG"
python=$(func_parser_value "${CONFIG_LINES[3]}")

LITE_TAR=test_images/lite_data.tar
WHOLE_TAR=test_images/whole_data.tar

fail() {
    printf 'prepare.sh: %s\n' "$*" >&2
    exit 1
}

# Build TAR with make_lite_data.py MAKE_ARGS... if it is missing, then extract its ROOT/ folder to ./ROOT.
prepare_data() { # TAR ROOT [MAKE_ARGS...]
    local tar=$1 root=$2 extract_dir tar_error
    shift 2
    if [[ ! -f $tar ]]; then
        echo "building $tar with $TIPC_DIR/make_lite_data.py${*:+ $*}"
        mkdir -p -- "$(dirname -- "$tar")" || fail "cannot create $(dirname -- "$tar")/"
        "$python" "$TIPC_DIR/make_lite_data.py" --output "$tar" "$@" ||
            fail "building $tar failed (see the messages above); fix that and rerun: bash $0 $CONFIG $MODE"
        [[ -f $tar ]] || fail "$TIPC_DIR/make_lite_data.py succeeded but wrote no $tar"
    fi
    # Extract next to the target first, so a broken tarball leaves an existing ./ROOT alone.
    extract_dir=$(mktemp -d "./.$root.extract.XXXXXX") || fail "cannot create a temporary directory in $PWD"
    if ! tar_error=$(tar -xf "$tar" -C "$extract_dir" 2>&1); then
        rm -rf -- "$extract_dir"
        fail "$tar is not a readable tar archive (tar: ${tar_error//$'\n'/ }). Delete it and rerun" \
            "to rebuild it: rm $tar && bash $0 $CONFIG $MODE"
    fi
    if [[ ! -d $extract_dir/$root/train || ! -d $extract_dir/$root/val ]]; then
        rm -rf -- "$extract_dir"
        fail "$tar does not contain $root/train/ and $root/val/. Delete it and rerun" \
            "to rebuild it: rm $tar && bash $0 $CONFIG $MODE"
    fi
    if ! { rm -rf -- "./$root" && mv -- "$extract_dir/$root" "./$root"; }; then
        rm -rf -- "$extract_dir"
        fail "cannot replace ./$root with the contents of $tar"
    fi
    rm -rf -- "$extract_dir"
    echo "data set ready in ./$root (from $tar)"
}

check_whole_infer_inputs() {
    local weights export_script model_dir
    weights=$(func_parser_value "${CONFIG_LINES[24]}")
    export_script=$(func_parser_value "${CONFIG_LINES[25]}")
    if [[ $export_script != null ]]; then
        [[ -f $weights ]] || fail "$CONFIG:24: trained weights for whole_infer: '$weights' does not" \
            "exist. Put the weights to export there (e.g. copy a <trainer>_cpu/$(func_parser_value "${CONFIG_LINES[10]}")" \
            "from an earlier log/ run) or change line 24; nothing is downloaded."
        echo "whole_infer weights found: $weights"
    else
        model_dir=$(func_parser_value "${CONFIG_LINES[30]}")
        [[ -d $model_dir ]] || fail "$CONFIG:30: line 25 is null, so whole_infer runs the exported" \
            "model in '$model_dir', which does not exist. Export a model there or change line 30."
        func_find_inference_model "$model_dir" > /dev/null || fail "$CONFIG:30: line 25 is null, so" \
            "whole_infer runs the exported model in '$model_dir', which holds no inference model" \
            "(*.pdmodel, or *.json with its .pdiparams). Export one there (tools/export_model.py" \
            "--save-inference-dir=$model_dir) or change line 30."
        echo "whole_infer model found: $model_dir"
    fi
}

# The data set of line 11 for this mode: ./whole_data is built from the bundled digits, another path must exist.
prepare_full_data() {
    local data_path
    data_path=$(func_parser_params "${CONFIG_LINES[11]}" "$MODE")
    if [[ ${data_path%/} == ./whole_data || ${data_path%/} == whole_data ]]; then
        prepare_data "$WHOLE_TAR" whole_data --num-classes 0 --train-per-class 0 --val-per-class 0 \
            --root-name whole_data
    fi
    [[ -e $data_path ]] || fail "$CONFIG:11: data set '$data_path' does not exist." \
        "whole_train_whole_infer trains on a full ImageFolder data set: provide $data_path/train/<class>/*.jpg" \
        "and $data_path/val/<class>/*.jpg (or point line 11 at yours, or at ./whole_data, which this script" \
        "builds from the bundled digits); nothing is downloaded."
    echo "data set found: $data_path"
    FULL_DATA=$data_path
}

# The FP32 weights of line 9 for this mode, trained with the optional line 39 when they are missing.
prepare_fp32_weights() {
    local weights command run_dir trained entry index device cmd tmp
    local -a entries
    weights=$(func_parser_params "${CONFIG_LINES[9]}" "$MODE")
    if [[ -z $weights || $weights == null ]]; then
        echo "line 9 gives no FP32 weights for $MODE: PACT training starts from scratch"
        return 0
    fi
    if [[ -f $weights ]]; then
        echo "FP32 weights found: $weights (delete them to train them again)"
        return 0
    fi
    command=""
    if func_is_extension_header "${CONFIG_LINES[33]:-}" &&
        [[ $(func_parser_key "${CONFIG_LINES[39]:-}") == fp32_pretrain ]]; then
        command=$(func_parser_params "${CONFIG_LINES[39]}" "$MODE")
    fi
    if [[ -z $command || ${command%% *} == null ]]; then
        fail "$CONFIG:9: the FP32 weights '$weights' that PACT training starts from in $MODE do not exist," \
            "and line 39 (fp32_pretrain) gives no command that trains them. Put FP32 weights there (nothing" \
            "is downloaded), set line 9 to null for this mode, or add line 39."
    fi
    # The first gpu_list entry the harness would run (TIPC_DEVICES), with its device value and environment.
    IFS='|' read -r -a entries <<< "$(func_parser_value "${CONFIG_LINES[4]}")"
    for index in "${!entries[@]}"; do
        entry=${entries[index]}
        [[ ${TIPC_DEVICES:-all} == all || ${TIPC_DEVICES:-all} == $(func_entry_kind "$entry") ]] && break
    done
    device=$(func_pick_alternative "$(func_parser_value "${CONFIG_LINES[5]}")" "$index")
    run_dir="${weights%.pdparams}_train"
    trained="$run_dir/$(func_parser_value "${CONFIG_LINES[10]}")"
    cmd=$(func_join "$(func_entry_env "${entry%%,*}")" "$(func_shell_quote "$python")" "$command" \
        "$(func_set_params "$(func_parser_key "${CONFIG_LINES[5]}")" "$device")" \
        "$(func_set_params "$(func_parser_key "${CONFIG_LINES[7]}")" "$run_dir")" \
        "$(func_set_params "$(func_parser_key "${CONFIG_LINES[11]}")" "$FULL_DATA")")
    mkdir -p -- "$run_dir" || fail "cannot create $run_dir"
    echo "training the FP32 weights (config line 39), log: $run_dir/train.log"
    echo "  $cmd"
    eval "$cmd" < /dev/null 2>&1 | tee "$run_dir/train.log" ||
        fail "the FP32 training (line 39) failed, see $run_dir/train.log; fix it and rerun: bash $0 $CONFIG $MODE"
    [[ -f $trained || ! -f $trained.pdparams ]] || trained=$trained.pdparams
    [[ -f $trained ]] || fail "the FP32 training (line 39) exited 0 but wrote no $trained (line 10 names" \
        "the file training saves in its output directory)"
    tmp="$weights.partial"
    { cp -- "$trained" "$tmp" && mv -- "$tmp" "$weights"; } || fail "cannot copy $trained to $weights"
    echo "FP32 weights ready: $weights"
}

case $MODE in
    lite_train_lite_infer | lite_train_whole_infer) prepare_data "$LITE_TAR" lite_data ;;
    whole_infer) check_whole_infer_inputs ;;
    whole_train_whole_infer)
        prepare_full_data
        prepare_fp32_weights
        ;;
esac
