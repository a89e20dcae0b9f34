"""The blue-green controller and Flagger-style analysis on literal inputs."""

from harness.deploy.analysis import IntervalOutcome, analyze_interval
from harness.deploy.controller import (
    Abort,
    AnalysisResult,
    ControllerConfig,
    ControllerState,
    CutoverDone,
    FailoverDone,
    LeaderLost,
    Phase,
    Promote,
    RollbackDone,
    Route,
    SetAdmission,
    SetTradingMode,
    StandbyReport,
    StartDeploy,
    Tick,
    phase_gauge,
    step,
)
from harness.scenario.model import NoDataPolicy
from harness.slo.model import CheckResult, CheckStatus

OK = (CheckResult("sr", CheckStatus.PASS, 99.9), CheckResult("p99", CheckStatus.PASS, 0.1))
BAD = (
    CheckResult("sr", CheckStatus.FAIL, 80.0, "sr 80 not >= 99"),
    CheckResult("p99", CheckStatus.PASS, 0.1),
)
NODATA = (CheckResult("sr", CheckStatus.NODATA), CheckResult("p99", CheckStatus.PASS, 0.1))
CFG = ControllerConfig(
    steps=(0.1, 0.25, 0.5, 1.0), interval=5, threshold=2, trading_modes=("cancel_only", "post_only", "normal")
)


def drive(cfg, state, *events):
    outs = []
    for ev in events:
        out = step(cfg, state, ev)
        state = out.state
        outs.append(out)
    return state, outs


def to_ramping(cfg=CFG):
    state, outs = drive(
        cfg,
        ControllerState(),
        StartDeploy(0, "green"),
        StandbyReport(1, True, 100, "h1", 90, "h0"),
        StandbyReport(2, True, 100, "h1", 100, "h1"),
        CutoverDone(3, True),
    )
    return state, outs


def test_promotion_path_with_commands_and_trading_modes():
    state, outs = to_ramping()
    assert [o.state.phase for o in outs] == [
        Phase.DEPLOYING,
        Phase.PRE_PROMOTION,
        Phase.CUTOVER,
        Phase.RAMPING,
    ]
    assert outs[1].commands == (SetAdmission(0.0),)  # freeze writes until the standby catches up
    assert outs[2].commands == (
        Promote("green"),
        Route("green"),
        SetTradingMode("green", "cancel_only", "recovery step 0"),
        SetAdmission(0.1),
    )
    assert "seq 100 with equal state hash" in outs[2].transitions[0].reason
    assert state.active == "green" and state.step == 0
    admissions = []
    for t in (8, 13, 18):
        out = step(CFG, state, AnalysisResult(t, OK))
        state = out.state
        admissions.append(state.admission)
        assert out.verdict.outcome is IntervalOutcome.ADVANCE
    assert admissions == [0.25, 0.5, 1.0] and state.phase is Phase.RAMPING and state.step == 3
    out = step(CFG, state, AnalysisResult(23, OK))
    assert out.state.phase is Phase.PROMOTED and out.transitions[0].to_event()["to"] == "promoted"
    assert phase_gauge(out.state)["promoted"] == 1.0 and sum(phase_gauge(out.state).values()) == 1.0


def test_standby_behind_or_with_different_hash_blocks_cutover():
    state, _ = drive(CFG, ControllerState(), StartDeploy(0, "green"), StandbyReport(1, True, 5, "a", 5, "a"))
    assert state.phase is Phase.PRE_PROMOTION
    out = step(CFG, state, StandbyReport(2, True, 7, "x", 7, "y"))  # same seq, different hash
    assert out.ignored and out.state.phase is Phase.PRE_PROMOTION
    out = step(CFG, state, StandbyReport(2, True, 7, "", 7, ""))  # same seq, hashes not fetched
    assert out.ignored and out.state.phase is Phase.PRE_PROMOTION
    out = step(CFG, state, Tick(1 + CFG.pre_promotion_timeout + 0.1))
    assert out.state.phase is Phase.ROLLED_BACK and "not caught up" in out.transitions[0].reason
    assert out.commands == (SetAdmission(1.0),) and out.state.active == "blue"


def test_failed_check_halts_advancement_and_threshold_rolls_back():
    state, _ = to_ramping()
    out = step(CFG, state, AnalysisResult(8, BAD))
    assert out.verdict.outcome is IntervalOutcome.HALT and "Halt advancement" in out.verdict.message
    assert out.state.phase is Phase.RAMPING and out.state.step == 0 and out.state.failed_checks == 1
    assert out.commands == ()
    out = step(CFG, out.state, AnalysisResult(13, OK))  # advances; failures are not reset
    assert out.state.step == 1 and out.state.failed_checks == 1
    out = step(CFG, out.state, AnalysisResult(18, BAD))
    assert out.state.phase is Phase.ROLLING_BACK and out.state.threshold_reached_at == 18
    assert out.commands == (Promote("blue"), Route("blue"), SetAdmission(1.0))
    assert out.state.active == "blue" and "threshold 2" in out.transitions[-1].reason
    done = step(CFG, out.state, RollbackDone(19))
    assert done.state.phase is Phase.ROLLED_BACK and done.state.active == "blue"


def test_no_data_policies():
    assert analyze_interval(NODATA, NoDataPolicy.FAIL).outcome is IntervalOutcome.HALT
    assert analyze_interval(NODATA, NoDataPolicy.SKIP).outcome is IntervalOutcome.ADVANCE
    assert analyze_interval(NODATA, NoDataPolicy.PAUSE).outcome is IntervalOutcome.PAUSE
    assert analyze_interval((), NoDataPolicy.FAIL).outcome is IntervalOutcome.HALT
    mixed = BAD + (CheckResult("x", CheckStatus.NODATA),)
    assert analyze_interval(mixed, NoDataPolicy.PAUSE).outcome is IntervalOutcome.HALT

    pause_cfg = ControllerConfig(
        steps=(0.5, 1.0), threshold=1, no_data=NoDataPolicy.PAUSE, progress_deadline=20
    )
    state, _ = to_ramping(pause_cfg)
    out = step(pause_cfg, state, AnalysisResult(8, NODATA))
    assert out.state.phase is Phase.RAMPING and out.state.failed_checks == 0 and out.state.step == 0
    late = step(pause_cfg, out.state, Tick(3 + 20.5))
    assert late.state.phase is Phase.ROLLING_BACK and "progress deadline" in late.transitions[0].reason

    fail_cfg = ControllerConfig(steps=(0.5, 1.0), threshold=1, no_data=NoDataPolicy.FAIL)
    state, _ = to_ramping(fail_cfg)
    assert step(fail_cfg, state, AnalysisResult(8, NODATA)).state.phase is Phase.ROLLING_BACK


def test_failover_abort_and_ignored_inputs():
    out = step(CFG, ControllerState(), LeaderLost(5, "blue"))
    assert out.state.phase is Phase.FAILOVER and out.commands[:2] == (Promote("green"), Route("green"))
    done = step(CFG, out.state, FailoverDone(6, True))
    assert done.state.phase is Phase.PROMOTED and done.state.active == "green"
    assert step(CFG, ControllerState(), LeaderLost(5, "green")).ignored  # not the active one
    assert step(CFG, ControllerState(), AnalysisResult(1, OK)).ignored
    state, _ = to_ramping()
    aborted = step(CFG, state, Abort(9, "stop condition green-halted-too"))
    assert aborted.state.phase is Phase.ROLLING_BACK and "aborted" in aborted.transitions[0].reason
    failed = step(CFG, out.state, FailoverDone(7, False, "standby unreachable"))
    assert failed.state.phase is Phase.FAILED
