"""Every way this project trains a new model against an old one, in one package: the
compatibility objectives (BCT's influence loss, DMU's selective weighting and forward
adapter, SFSC's switchable widths), the registry of named methods and their ablations,
the upgrade scenarios and the trainers that the benchmark and the pipeline's training
step share. One method per module; the names a caller needs are exported here."""

from upgradeflow.methods.bct import influence_term, old_classifier_rows
from upgradeflow.methods.dmu import DMUConfig, DMULoss, sample_weights
from upgradeflow.methods.forward_adapter import fit_forward_adapter
from upgradeflow.methods.registry import Method, parse_methods
from upgradeflow.methods.scenarios import SCENARIOS, Scenario, ScenarioSplit, get_scenario, make_split
from upgradeflow.methods.sfsc import SFSCConfig, train_switchable
from upgradeflow.methods.trainers import TrainedMethod, train_method, train_old_model

__all__ = [
    "SCENARIOS",
    "DMUConfig",
    "DMULoss",
    "Method",
    "SFSCConfig",
    "Scenario",
    "ScenarioSplit",
    "TrainedMethod",
    "fit_forward_adapter",
    "get_scenario",
    "influence_term",
    "make_split",
    "old_classifier_rows",
    "parse_methods",
    "sample_weights",
    "train_method",
    "train_old_model",
    "train_switchable",
]
