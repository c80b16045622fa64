"""The labeling widget in a real JupyterLab, driven through Debian's chromium by Playwright.

The test starts JupyterLab on 127.0.0.1 in a temporary folder, writes a notebook holding the
chapter's own "label it live" code (read from ``notebooks/08_label_it_yourself.md``), runs it
through the JupyterLab menu, clicks class buttons for two batches, and reads the saved session.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")


def live_code() -> str:
    """The python block of the chapter's "Label it live" section, with a small budget."""
    text = (ROOT / "notebooks" / "08_label_it_yourself.md").read_text()
    section = text[text.index("## Label it live"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "LabelingWidget(session).view" in code
    return code.replace("k0=6, batch_size=6, budget=60", "k0=2, batch_size=2, budget=10")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    pytest.importorskip("jupyterlab")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(live_code())])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "label.ipynb")
    port, token = free_port(), "t" + os.urandom(8).hex()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / ".jupyter"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", "--allow-root",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
    yield url, token, tmp_path
    server.terminate()
    server.wait(timeout=30)


DRIVER = """
import json, re, sys, time
from pathlib import Path
from playwright.sync_api import sync_playwright

url, token, folder, chromium = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox",
                                "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/lab/tree/label.ipynb?token={token}", wait_until="load")
    page.locator(".jp-Notebook").wait_for(timeout=120_000)
    choose = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:  # a fresh JupyterLab asks which kernel to start
        choose.wait_for(timeout=20_000)
        choose.click()
    except Exception:
        pass
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    first = page.get_by_role("button", name=re.compile(r"^0 · "))
    try:
        first.wait_for(timeout=240_000)
    except Exception:
        page.screenshot(path=str(folder / "lab.png"), full_page=True)
        raise
    print(first.inner_text().split(" · ", 1)[1])
    for answered in range(1, 5):
        first.click()
        deadline = time.time() + 60
        while time.time() < deadline:
            lines = (folder / "my_session.jsonl").read_text().splitlines()
            if sum(json.loads(line)["event"] == "answer" for line in lines) == answered:
                break
            time.sleep(0.2)
    browser.close()
"""


def test_two_batches_labeled_by_clicking_in_jupyterlab_are_saved(jupyterlab):
    # Playwright runs in its own process: a sync Playwright cannot start where the book test's
    # session-wide one is running.
    url, token, folder = jupyterlab
    (folder / "drive.py").write_text(DRIVER)
    done = subprocess.run([sys.executable, str(folder / "drive.py"), url, token, str(folder), str(CHROMIUM)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    label = done.stdout.strip().splitlines()[-1]
    deadline = time.time() + 120
    while time.time() < deadline:  # the kernel writes a batch's summary after its last answer
        events = [json.loads(line) for line in (folder / "my_session.jsonl").read_text().splitlines()]
        if sum(e["event"] == "round" for e in events) >= 2:
            break
        time.sleep(0.2)
    answers = [e for e in events if e["event"] == "answer"]
    assert [a["answer"] for a in answers] == [label] * 4 and {a["annotator"] for a in answers} == {"your name"}
    assert [e["round"] for e in events if e["event"] == "round"] == [0, 1]
