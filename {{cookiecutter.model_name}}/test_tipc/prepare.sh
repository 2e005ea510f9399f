#!/usr/bin/env bash
# Prepare what a TIPC run needs, offline (nothing is downloaded).
#
# Usage (from the repo root): bash test_tipc/prepare.sh CONFIG MODE
#   lite_train_lite_infer, lite_train_whole_infer: build test_images/lite_data.tar with
#       test_tipc/make_lite_data.py if it is missing, then extract it to ./lite_data (replacing an
#       older ./lite_data).
#   whole_infer: check that the weights on config line 24 exist (line 25 null: that the folder of
#       line 30 holds an inference model).
#   whole_train_whole_infer: check that the data set on config line 11 exists.
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
LITE_DIR=./lite_data

fail() {
    printf 'prepare.sh: %s\n' "$*" >&2
    exit 1
}

prepare_lite_data() {
    local extract_dir tar_error
    if [[ ! -f $LITE_TAR ]]; then
        echo "building $LITE_TAR with $TIPC_DIR/make_lite_data.py"
        mkdir -p -- "$(dirname -- "$LITE_TAR")" || fail "cannot create $(dirname -- "$LITE_TAR")/"
        "$python" "$TIPC_DIR/make_lite_data.py" --output "$LITE_TAR" ||
            fail "building $LITE_TAR failed (see the messages above); fix that and rerun: bash $0 $CONFIG $MODE"
        [[ -f $LITE_TAR ]] || fail "$TIPC_DIR/make_lite_data.py succeeded but wrote no $LITE_TAR"
    fi
    # Extract next to the target first, so a broken tarball leaves an existing ./lite_data alone.
    extract_dir=$(mktemp -d ./.lite_data.extract.XXXXXX) || fail "cannot create a temporary directory in $PWD"
    if ! tar_error=$(tar -xf "$LITE_TAR" -C "$extract_dir" 2>&1); then
        rm -rf -- "$extract_dir"
        fail "$LITE_TAR is not a readable tar archive (tar: ${tar_error//$'\n'/ }). Delete it and rerun" \
            "to rebuild it: rm $LITE_TAR && bash $0 $CONFIG $MODE"
    fi
    if [[ ! -d $extract_dir/lite_data/train || ! -d $extract_dir/lite_data/val ]]; then
        rm -rf -- "$extract_dir"
        fail "$LITE_TAR does not contain lite_data/train/ and lite_data/val/. Delete it and rerun" \
            "to rebuild it: rm $LITE_TAR && bash $0 $CONFIG $MODE"
    fi
    if ! { rm -rf -- "$LITE_DIR" && mv -- "$extract_dir/lite_data" "$LITE_DIR"; }; then
        rm -rf -- "$extract_dir"
        fail "cannot replace $LITE_DIR with the contents of $LITE_TAR"
    fi
    rm -rf -- "$extract_dir"
    echo "lite data ready in $LITE_DIR (from $LITE_TAR)"
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

check_full_data() {
    local data_path
    data_path=$(func_parser_value "${CONFIG_LINES[11]}")
    [[ -e $data_path ]] || fail "$CONFIG:11: data set '$data_path' does not exist." \
        "whole_train_whole_infer trains on a full ImageFolder data set: provide $data_path/train/<class>/*.jpg" \
        "and $data_path/val/<class>/*.jpg (or point line 11 at yours); nothing is downloaded."
    echo "data set found: $data_path"
}

case $MODE in
    lite_train_lite_infer | lite_train_whole_infer) prepare_lite_data ;;
    whole_infer) check_whole_infer_inputs ;;
    whole_train_whole_infer) check_full_data ;;
esac
