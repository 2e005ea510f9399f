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
#       value for this mode, unless null): when they do not exist, the optional fp32_pretrain line trains
#       them: <its command> <line 5 key>=<device of the first entry TIPC_DEVICES selects> <line 7 key>=<weights
#       without .pdparams>_train <line 11 key>=<data set>, and its <line 10> file is copied to the line-9 path.
#       Existing weights are kept (delete them to train again).
#   whole_infer: check that the weights on config line 24 exist (line 25 null: that the folder of
#       line 30 holds an inference model).
# With the config's task:segmentation line the data sets are segmentation sets (images, label PNGs and
# "image label" list files, as PaddleSeg reads them) built from the same digits, in
# test_images/<lite_data|whole_data>_segmentation.tar.
# What to make comes from tipc_config.py next to this script, which reads the config.
# Safe to repeat in the same directory. Exit status: 0 ready, 1 something is missing or broken,
# 2 bad argument or config.

set -o pipefail

TIPC_DIR=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR source=common_func.sh
source "$TIPC_DIR/common_func.sh"
func_check_usage "$0" $# || exit 2
CONFIG=$1
MODE=$2
func_load_plan prepare "$CONFIG" "$MODE" || exit 2
python=$PREP_PYTHON
# The system zlib first for the FP32 training (see test_train_inference_python.sh; TIPC_PRELOAD_ZLIB=0 turns it off).
if [[ -n $PREP_PRELOAD ]]; then
    export LD_PRELOAD="$PREP_PRELOAD${LD_PRELOAD:+:$LD_PRELOAD}"
fi

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
    if [[ $PREP_EXPORT_NULL != 1 ]]; then
        [[ -f $PREP_WEIGHTS ]] || fail "$CONFIG:24: trained weights for whole_infer: '$PREP_WEIGHTS' does not" \
            "exist. Put the weights to export there (e.g. copy a <trainer>_cpu/$PREP_TRAIN_MODEL_NAME" \
            "from an earlier log/ run) or change line 24; nothing is downloaded."
        echo "whole_infer weights found: $PREP_WEIGHTS"
    else
        [[ -d $PREP_MODEL_DIR ]] || fail "$CONFIG:30: line 25 is null, so whole_infer runs the exported" \
            "model in '$PREP_MODEL_DIR', which does not exist. Export a model there or change line 30."
        func_find_inference_model "$PREP_MODEL_DIR" > /dev/null || fail "$CONFIG:30: line 25 is null, so" \
            "whole_infer runs the exported model in '$PREP_MODEL_DIR', which holds no inference model" \
            "(*.pdmodel or *.json, with its .pdiparams). Export one there (tools/export_model.py" \
            "--save-inference-dir=$PREP_MODEL_DIR) or change line 30."
        echo "whole_infer model found: $PREP_MODEL_DIR"
    fi
}

# The data set of line 11 for this mode: ./whole_data is built from the bundled digits, another path must exist.
prepare_full_data() {
    if [[ $PREP_BUILD_WHOLE == 1 ]]; then
        prepare_data "$PREP_TAR" whole_data "${PREP_MAKE_ARGS[@]}"
    fi
    [[ -e $PREP_DATA_PATH ]] || fail "$CONFIG:11: data set '$PREP_DATA_PATH' does not exist." \
        "whole_train_whole_infer trains on a full data set in the layout your scripts read: provide it there" \
        "(or point line 11 at yours, or at ./whole_data, which this script builds from the bundled digits in the" \
        "layout of the config's task); nothing is downloaded."
    echo "data set found: $PREP_DATA_PATH"
}

# The FP32 weights of line 9 for this mode, trained with the optional fp32_pretrain line when they are missing.
prepare_fp32_weights() {
    local weights=$PREP_WEIGHTS run_dir=${PREP_FP32_RUN_DIR:-} trained=${PREP_FP32_TRAINED:-} tmp cmd
    if [[ -z $weights ]]; then
        echo "line 9 gives no FP32 weights for $MODE: PACT training starts from scratch"
        return 0
    fi
    if [[ -f $weights ]]; then
        echo "FP32 weights found: $weights (delete them to train them again)"
        return 0
    fi
    [[ -z ${PREP_FP32_ERROR:-} ]] || fail "$PREP_FP32_ERROR"
    if ((${#PREP_FP32_ARGV[@]} == 0)); then
        fail "$CONFIG:9: the FP32 weights '$weights' that PACT training starts from in $MODE do not exist," \
            "and $PREP_FP32_MISSING. Put FP32 weights there" \
            "(nothing is downloaded), set line 9 to null for this mode, or add an fp32_pretrain line."
    fi
    func_shell_words_into cmd "${PREP_FP32_ARGV[@]}"
    mkdir -p -- "$run_dir" || fail "cannot create $run_dir"
    echo "training the FP32 weights (config $PREP_FP32_WHERE), log: $run_dir/train.log"
    echo "  $cmd"
    "${PREP_FP32_ARGV[@]}" < /dev/null 2>&1 | tee "$run_dir/train.log" ||
        fail "the FP32 training ($PREP_FP32_WHERE) failed, see $run_dir/train.log; fix it and rerun: bash $0 $CONFIG $MODE"
    [[ -f $trained || ! -f $trained.pdparams ]] || trained=$trained.pdparams
    [[ -f $trained ]] || fail "the FP32 training ($PREP_FP32_WHERE) exited 0 but wrote no $trained (line 10 names" \
        "the file training saves in its output directory)"
    tmp="$weights.partial"
    { cp -- "$trained" "$tmp" && mv -- "$tmp" "$weights"; } || fail "cannot copy $trained to $weights"
    echo "FP32 weights ready: $weights"
}

# The data sets are shared by every run in this repo: never replace them under a running chain or another prepare.
running=$(func_live_claims ./log)
if [[ -n $running ]]; then
    fail "a TIPC run is going on in this repo and may be reading the data sets: ${running//$'\n'/; }." \
        "Run prepare.sh again when it has ended."
fi
mkdir -p ./log || fail "cannot create ./log (read-only or full?)"
prepare_lock=./log/.prepare.lock
until func_claim_lock "$prepare_lock"; do
    claim=$?
    ((claim == 2)) && fail "cannot create $prepare_lock (read-only or full?)"
    [[ -n ${TIPC_WAIT:-} && ${TIPC_WAIT:-} != 0 ]] || fail "another prepare.sh is going on in this repo" \
        "($TIPC_LOCK_OWNER): wait for it to end, or run with TIPC_WAIT=1"
    echo "waiting for the other prepare.sh ($TIPC_LOCK_OWNER) to end"
    sleep 2
done
trap 'rm -rf -- "$prepare_lock"' EXIT

case $PREP_ACTION in
    lite)
        prepare_data "$PREP_TAR" lite_data "${PREP_MAKE_ARGS[@]}"
        # Line 9 names FP32 start weights in the lite modes too when PACT needs them (e.g. PaddleDetection's QAT).
        [[ -z $PREP_WEIGHTS ]] || prepare_fp32_weights
        ;;
    whole_infer) check_whole_infer_inputs ;;
    whole)
        prepare_full_data
        prepare_fp32_weights
        ;;
esac
if [[ $PREP_ACTION != whole_infer ]]; then
    func_tipc_config start-yml "$CONFIG" "$MODE" || fail "cannot write the start_weights_yml copy (see above)"
fi
