"""Scenarios: the model (frozen values), YAML loading and validation, the built-in list."""

from harness.scenario.errors import Issue, ScenarioError
from harness.scenario.loader import build_scenario, load_scenario, validate_file
from harness.scenario.model import Scenario

__all__ = ["Issue", "Scenario", "ScenarioError", "build_scenario", "load_scenario", "validate_file"]
