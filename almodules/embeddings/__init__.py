"""Embeddings: the embedder registry, encoders and their model files, pooling, and embeddings computed once and cached."""

from almodules.embeddings.pooling import POOLINGS, first_token_index, last_token_index, pool, l2_normalize
from almodules.embeddings.spec import BACKENDS, EmbedderSpec
from almodules.embeddings.model_files import (ModelUnavailableError, hub_snapshot, is_available, missing_wheel,
                                              model_dir, tokenizer_dir, unpack_zip_parts, wheel_file)
from almodules.embeddings.devices import resolve_device, precision_name
from almodules.embeddings.cached_encoders import PrecomputedEncoder, DerivedEncoder
from almodules.embeddings.encoders import (ENCODERS, SVD_THREADS, load_encoder, TransformerEncoder, OnnxEncoder,
                                           E5Encoder, GloveEncoder, TfidfSvdEncoder)
from almodules.embeddings.registry import (EMBEDDERS, DEFAULT_EMBEDDER, get_embedder, register_embedder,
                                           unregister_embedder)
from almodules.embeddings.derived import DERIVED_SEPARATOR, derived_spec, derive
from almodules.embeddings.cache import (CACHE_VERSION, CorruptCacheWarning, fingerprint, cache_path, save_arrays,
                                        load_arrays)
from almodules.embeddings.compute import (DatasetEmbeddings, embed_dataset, embed_texts, embedder_key,
                                          embedding_fingerprint)
from almodules.embeddings.imported import IMPORT_FORMATS, import_embeddings, find_imported, read_array
from almodules.embeddings.local import EMBEDDER_OPTIONS, folder_embedder, find_embedder, hub_embedder

__all__ = ['POOLINGS', 'first_token_index', 'last_token_index', 'pool', 'l2_normalize', 'BACKENDS', 'EmbedderSpec',
           'ModelUnavailableError', 'hub_snapshot', 'is_available', 'missing_wheel', 'model_dir', 'tokenizer_dir',
           'unpack_zip_parts', 'wheel_file', 'resolve_device', 'precision_name', 'PrecomputedEncoder',
           'DerivedEncoder', 'ENCODERS', 'SVD_THREADS', 'load_encoder', 'TransformerEncoder', 'OnnxEncoder',
           'E5Encoder', 'GloveEncoder', 'TfidfSvdEncoder', 'EMBEDDERS', 'DEFAULT_EMBEDDER', 'get_embedder',
           'register_embedder', 'unregister_embedder', 'DERIVED_SEPARATOR', 'derived_spec', 'derive',
           'CACHE_VERSION', 'CorruptCacheWarning', 'fingerprint', 'cache_path', 'save_arrays', 'load_arrays',
           'DatasetEmbeddings', 'embed_dataset', 'embed_texts', 'embedder_key', 'embedding_fingerprint',
           'IMPORT_FORMATS', 'import_embeddings', 'find_imported', 'read_array', 'EMBEDDER_OPTIONS',
           'folder_embedder', 'find_embedder', 'hub_embedder']
