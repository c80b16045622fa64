"""The README's "Use your own data" commands work as written, on a folder, a model folder and files
made here (one substitution: executed notebooks go to a temporary folder, not the checkout's book)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_transformers import tiny_encoder

ROOT = Path(__file__).resolve().parent.parent
WORDS = {"billing": "invoice charge paid bill", "refund": "refund money back return", "login": "password login account locked"}


def readme_commands(section: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", body, flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


@pytest.mark.slow
def test_the_use_your_own_data_commands_run_from_the_readme(tmp_path):
    folder = tmp_path / "data" / "mytickets"
    folder.mkdir(parents=True)
    rows = [(f"{WORDS[c]} ticket {i}", c) for i in range(40) for c in WORDS]
    pd.DataFrame(rows[:90], columns=["text", "label"]).to_csv(folder / "train.csv", index=False)
    pd.DataFrame(rows[90:], columns=["text", "label"]).to_csv(folder / "test.csv", index=False)
    tiny_encoder(tmp_path / "models" / "my-sentence-model")
    rng = np.random.default_rng(0)
    np.save(tmp_path / "train.npy", rng.normal(size=(90, 16)).astype(np.float32))
    np.save(tmp_path / "test.npy", rng.normal(size=(30, 16)).astype(np.float32))
    env = {**os.environ, "ALM_DATA_DIR": str(tmp_path / "data"), "ALM_RESULTS_DIR": str(tmp_path / "results"),
           "ALM_CACHE_DIR": str(tmp_path / "cache")}
    commands = readme_commands("Use your own data")
    assert len(commands) >= 6 and all(c.startswith("python -m almodules") for c in commands)
    for command in commands:
        argv = [sys.executable, *shlex.split(command)[1:]]
        if argv[3:4] == ["notebooks"]:
            argv += ["--output-dir", str(tmp_path / "executed")]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{command}\n{done.stderr[-3000:]}"
    assert (tmp_path / "executed" / "03_al_cycles.ipynb").is_file()
    assert len(list((tmp_path / "results" / "runs").rglob("*.parquet"))) >= 5
