"""The AL engine: a run's config, the probe, the query and initial-pool strategies, and the cycle that runs them."""

from almodules.engine.probe import ProbeParams, LinearProbe
from almodules.engine.strategies import (PoolState, StrategySpec, STRATEGIES, QUERY_STRATEGIES, IPS_STRATEGIES,
                                         get_strategy, select_batch)
from almodules.engine.config import (DEFAULT_CYCLES, DEFAULT_LABELS_PER_CLASS_PER_CYCLE, DefaultBudgetWarning,
                                     ENGINE_VERSION, KEY_COLUMNS, RunConfig, complete_params)
from almodules.engine.fingerprints import (Fingerprints, record_fingerprints, recorded_fingerprints,
                                           recorded_train_rows)
from almodules.engine.stop_signals import SIGNALS, StopSignals
from almodules.engine.stopping import CRITERIA, CriterionSpec, StopHistory, check_criterion, fires, stop_cycle
from almodules.engine.experiment import (RunInputs, RunResult, pair_fingerprints, registered_fingerprints,
                                         load_inputs, run_experiment, execute_run)

__all__ = ['ProbeParams', 'LinearProbe', 'PoolState', 'StrategySpec', 'STRATEGIES', 'QUERY_STRATEGIES',
           'IPS_STRATEGIES', 'get_strategy', 'select_batch', 'DEFAULT_CYCLES', 'DEFAULT_LABELS_PER_CLASS_PER_CYCLE',
           'DefaultBudgetWarning', 'ENGINE_VERSION', 'KEY_COLUMNS', 'RunConfig', 'complete_params', 'Fingerprints',
           'record_fingerprints', 'recorded_fingerprints', 'recorded_train_rows', 'SIGNALS', 'StopSignals', 'CRITERIA',
           'CriterionSpec', 'StopHistory', 'check_criterion', 'fires', 'stop_cycle', 'RunInputs', 'RunResult',
           'pair_fingerprints', 'registered_fingerprints', 'load_inputs', 'run_experiment', 'execute_run']
