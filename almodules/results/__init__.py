"""Results: the store of finished runs (keyed by run key), its migration, claim files and the grid that fills it."""

from almodules.results.claim_files import CLAIM_TTL_S, GARBLED_GRACE_S, claim_path, try_claim, release
from almodules.results.run_table import SCHEMA, CYCLE_COLUMNS, RUN_COLUMNS, run_checksum, split_by, filtered
from almodules.results.packs import PACKS, write_pack, read_pack, pack_paths
from almodules.results.store import ResultStore, INDEX, STALE_TMP_S
from almodules.results.migration import migrate_to_run_keys, fill_defaults
from almodules.results.planning import GRID_KEYS, Loader, PlannedRun, expand_grid, load_grid, plan_runs, groups
from almodules.results.grid import EXECUTORS, run_grid, get_or_run

__all__ = ['CLAIM_TTL_S', 'GARBLED_GRACE_S', 'claim_path', 'try_claim', 'release', 'ResultStore', 'CYCLE_COLUMNS',
           'RUN_COLUMNS', 'SCHEMA', 'INDEX', 'STALE_TMP_S', 'run_checksum', 'migrate_to_run_keys', 'fill_defaults',
           'GRID_KEYS', 'Loader', 'PlannedRun', 'expand_grid', 'load_grid', 'plan_runs', 'groups', 'EXECUTORS',
           'run_grid', 'get_or_run', 'split_by', 'filtered', 'PACKS', 'write_pack', 'read_pack', 'pack_paths']
