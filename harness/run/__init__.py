"""The run driver: one game day from a validated scenario to a run folder with its reports.

Public API::

    from harness.run import RunOptions, run_scenario
    outcome = run_scenario(scenario, RunOptions(runs_dir=Path("runs")))
    outcome.report["verdict"], outcome.exit_code, outcome.run_dir
"""

from harness.run.driver import RunOptions, RunOutcome, run_scenario

__all__ = ["RunOptions", "RunOutcome", "run_scenario"]
