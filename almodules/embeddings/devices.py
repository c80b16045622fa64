"""Where an embedder runs: the torch device, and the numeric precision it implies.

torch is imported when a function runs, so choosing nothing costs nothing; with PyTorch's CPU-only
build installed, finding the default device imports nothing (fingerprinting a book's runs needs it).
"""

from __future__ import annotations

import importlib.metadata

from almodules.core.validation import ConfigError
from almodules.embeddings.spec import EmbedderSpec

__all__ = ["resolve_device", "precision_name"]


def resolve_device(device: str | None) -> str:
    """``device`` checked, or ``"cuda"`` when a GPU is present and ``"cpu"`` otherwise."""
    if device is None and _cpu_only_build():
        return "cpu"
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError):
        raise ConfigError(f"device {device!r} is not a torch device; use 'cpu', 'cuda' or 'cuda:<index>'") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but no CUDA GPU is available; use device='cpu'")
    return device


def precision_name(spec: EmbedderSpec, device: str) -> str:
    """Numeric precision the encoder runs in: half precision for transformers on a GPU; on the CPU
    float32, or ``bfloat16-autocast`` for a ``cpu_precision="bfloat16"`` variant."""
    if spec.backend != "transformers":
        return "float32"
    if not device.startswith("cuda"):
        return "bfloat16-autocast" if spec.cpu_precision == "bfloat16" else "float32"
    import torch

    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


def _cpu_only_build() -> bool:
    """Whether the installed torch is a CPU-only wheel (local version ``+cpu``), which has no CUDA."""
    try:
        return importlib.metadata.version("torch").endswith("+cpu")
    except importlib.metadata.PackageNotFoundError:
        return False
