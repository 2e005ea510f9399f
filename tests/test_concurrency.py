"""Runs that overlap, runs that were killed, steps that hang, logs that cannot be written: a results log holds one
run's lines, and no run hangs. Real processes (the bash harness with the fake step scripts), each bounded in time."""
import os
import re
import signal
import subprocess
import time

from fake_repo import (CONFIG, EXT_HEADER, HARNESS, LOG_DIR, MODE, calls, config_lines, process_gone, results,
                       summary_counts, write_config)


def start(repo, env=None, mode=MODE):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TIPC_")}
    full_env["TIPC_INT8_CHECK"] = "0"  # the fake export writes no real model for the int8 step
    full_env.update(env or {})
    # Its own session, so the test can stop the harness and everything below it whatever happens.
    return subprocess.Popen(["bash", HARNESS, CONFIG, mode], cwd=repo, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def training(repo):
    return any(c["script"] == "train.py" for c in calls(repo))


def finish(proc, timeout=120):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return proc.returncode, out, err


def session_processes(sid):
    """The command lines of the processes in session SID (the harness's: start() gives it a session of its own)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    found.append(open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ").decode())
            except OSError:
                continue
    return found


def solo_result_count(repo):
    code, out, _ = finish(start(repo))
    assert code == 0, out
    return len(results(repo))


def test_a_second_run_of_the_same_mode_refuses_at_once(fake_repo):
    expected = solo_result_count(fake_repo)
    (fake_repo / "calls.jsonl").unlink()
    first = start(fake_repo, {"FAKE_SLEEP": "4"})
    assert wait_for(lambda: training(fake_repo))
    began = time.time()
    second = start(fake_repo)
    code, out, err = finish(second, timeout=30)
    assert code == 2 and time.time() - began < 10, out + err
    assert re.search(rf"another TIPC run of fake_model {MODE} is going on in this repo \(PID {first.pid}, started "
                     rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\), writing \./{LOG_DIR}", err), err
    code, out, _ = finish(first)
    assert code == 0, out
    lines = results(fake_repo)
    assert len(lines) == expected and all(line.startswith("Run successfully") for line in lines)
    assert not (fake_repo / LOG_DIR.parent / f".{MODE}.lock").exists()


def test_tipc_wait_runs_the_second_after_the_first(fake_repo):
    first = start(fake_repo, {"FAKE_SLEEP": "2"})
    assert wait_for(lambda: training(fake_repo))
    second = start(fake_repo, {"TIPC_WAIT": "1"})
    code1, out1, _ = finish(first)
    code2, out2, _ = finish(second)
    assert (code1, code2) == (0, 0), out1 + out2
    assert "waiting for the other TIPC run of fake_model" in out2
    previous = list((fake_repo / LOG_DIR.parent).glob(f"{MODE}.prev-*"))
    assert len(previous) == 1  # the first run's logs, moved aside whole by the second
    assert len(results(fake_repo)) == len(results(fake_repo, previous[0].relative_to(fake_repo)))


def test_a_killed_run_leaves_a_claim_the_next_run_takes_over(fake_repo):
    killed = start(fake_repo, {"FAKE_SLEEP": "30"})
    assert wait_for(lambda: training(fake_repo))
    step = [c for c in calls(fake_repo) if c["script"] == "train.py"][0]["pid"]
    os.killpg(killed.pid, signal.SIGKILL)  # no trap runs: the claim stays
    killed.communicate(timeout=30)
    assert (fake_repo / LOG_DIR.parent / f".{MODE}.lock").is_dir()
    # The step (its own process group, so the kill above missed it; it would sleep 30 s) and the harness's watch
    # of it must not outlive the run: the watch sees the harness gone within seconds and stops the step.
    assert process_gone(step, timeout=20), "the step of the killed run still runs"
    assert wait_for(lambda: not session_processes(killed.pid), timeout=20), session_processes(killed.pid)
    code, out, err = finish(start(fake_repo))
    assert code == 0, out + err
    assert re.search(rf"the run that claimed .*\.{MODE}\.lock \(PID {killed.pid}, started .*\) is gone; taking its "
                     "claim over", out), out


def test_two_modes_run_side_by_side(fake_repo):
    lite = start(fake_repo, {"FAKE_SLEEP": "1"})
    other = start(fake_repo, {"FAKE_SLEEP": "1"}, mode="lite_train_whole_infer")
    (code1, out1, _), (code2, out2, _) = finish(lite), finish(other)
    assert (code1, code2) == (0, 0), out1 + out2
    for mode in (MODE, "lite_train_whole_infer"):
        lines = results(fake_repo, LOG_DIR.parent / mode)
        assert lines and all(line.startswith("Run successfully") for line in lines)
        assert all(f"/{mode}/" in line for line in lines if "--output-dir" in line or "--model-dir" in line)


def test_a_hanging_step_is_stopped_at_its_limit(fake_repo):
    write_config(fake_repo, config_lines() + [EXT_HEADER, "step_timeout:train=2"])
    began = time.time()
    code, out, err = finish(start(fake_repo, {"FAKE_SLEEP": "600"}), timeout=60)
    assert code == 1 and time.time() - began < 40, out + err
    assert "TIMEOUT pact_train_cpu/train: timed out after 2 s" in out
    log = (fake_repo / LOG_DIR / "pact_train_cpu_train.log").read_text(encoding="utf-8")
    assert "TIPC: timed out after 2 s" in log
    assert results(fake_repo)[0].startswith("Run failed with command - ")
    assert re.search(r"^SKIP +- +pact_train_cpu/eval +\(train failed\)$", out, re.M)
    pid = [c for c in calls(fake_repo) if c["script"] == "train.py"][0]["pid"]
    assert process_gone(pid, timeout=5), "the timed-out step still runs"
    assert summary_counts(out)[1] == 1


def test_a_silent_step_is_reported_as_stalled_before_its_limit(fake_repo):
    """A step that prints nothing for TIPC_STALL_SECONDS is named on the terminal while it still runs, long before
    the time limit stops it."""
    write_config(fake_repo, config_lines() + [EXT_HEADER, "step_timeout:train=8"])
    code, out, err = finish(start(fake_repo, {"FAKE_SLEEP": "600", "TIPC_STALL_SECONDS": "2"}), timeout=60)
    assert code == 1, out + err
    stall = out.index("STALL pact_train_cpu/train: no output for 2 s (still running")
    assert stall < out.index("TIMEOUT pact_train_cpu/train: timed out after 8 s"), out
    assert out.count("STALL ") == 1, out

def test_tipc_step_timeout_sets_every_step(fake_repo):
    code, out, _ = finish(start(fake_repo, {"FAKE_SLEEP": "600", "TIPC_STEP_TIMEOUT": "1"}), timeout=60)
    assert code == 1 and "timed out after 1 s" in out


def test_step_timeout_line_is_checked(fake_repo):
    write_config(fake_repo, config_lines() + [EXT_HEADER, "step_timeout:trian=5"])
    code, _, err = finish(start(fake_repo), timeout=30)
    assert code == 2 and "found 'trian=5'" in err, err


def test_an_unwritable_log_folder_is_named(fake_repo):
    (fake_repo / "log").write_text("a file where the log folder goes", encoding="utf-8")
    code, out, err = finish(start(fake_repo), timeout=30)
    assert code == 1, out + err
    assert "cannot create the log folder ./log/fake_model" in err
    assert "Run successfully" not in out and calls(fake_repo) == []


def test_prepare_does_not_replace_data_under_a_running_chain(fake_repo):
    running = start(fake_repo, {"FAKE_SLEEP": "3"})
    assert wait_for(lambda: training(fake_repo))
    proc = subprocess.run(["bash", "test_tipc/prepare.sh", CONFIG, MODE], cwd=fake_repo, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(rf"a TIPC run is going on in this repo .*\.{MODE}\.lock \(PID {running.pid}, ", proc.stderr)
    assert not (fake_repo / "lite_data").exists()
    code, out, _ = finish(running)
    assert code == 0, out


def claim_for_this_process(lock):
    """A claim as a running prepare.sh or harness writes it, owned by this (live) test process."""
    lock.mkdir(parents=True)
    ticks = open(f"/proc/{os.getpid()}/stat").read().rsplit(")", 1)[1].split()[19]
    (lock / "owner").write_text(f"{os.getpid()} {ticks} 2026-01-01T00:00:00\n", encoding="utf-8")


def test_a_second_prepare_refuses_while_one_is_going_on(fake_repo):
    claim_for_this_process(fake_repo / "log" / ".prepare.lock")
    proc = subprocess.run(["bash", "test_tipc/prepare.sh", CONFIG, MODE], cwd=fake_repo, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert f"another prepare.sh is going on in this repo (PID {os.getpid()}, started 2026-01-01T00:00:00)" in (
        proc.stderr)
    assert not (fake_repo / "lite_data").exists()
