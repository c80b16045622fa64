"""Shared helpers of every layer: input validation, atomic writes and hashes, paths, registries, hub references, provenance."""

from almodules.core.validation import (ChoiceRule, ConfigError, NumberRule, check_choice, check_int, check_number,
                                       check_finite_matrix, require_columns, parse_yaml, not_utf8, read_utf8)
from almodules.core.atomic import TMP_SUFFIX, write_atomic, canonical_json, canonical_hash, text_digest, array_digest
from almodules.core.paths import repo_root, data_dir, cache_dir, results_dir, is_path
from almodules.core.registry import Registry
from almodules.core.hub_references import HUB_PREFIX, Reference, is_hub, parse_reference, registry_slug
from almodules.core.provenance import (LIBRARIES, package_version, git_commit, blas_architecture, blas_threads,
                                       numpy_simd, library_versions)

__all__ = ['ChoiceRule', 'ConfigError', 'NumberRule', 'check_choice', 'check_int', 'check_number',
           'check_finite_matrix', 'require_columns', 'parse_yaml', 'not_utf8', 'read_utf8', 'TMP_SUFFIX',
           'write_atomic', 'canonical_json', 'canonical_hash', 'text_digest', 'array_digest', 'repo_root',
           'data_dir', 'cache_dir', 'results_dir', 'is_path', 'Registry', 'HUB_PREFIX', 'Reference', 'is_hub',
           'parse_reference', 'registry_slug', 'LIBRARIES', 'package_version', 'git_commit', 'blas_architecture',
           'blas_threads', 'numpy_simd', 'library_versions']
