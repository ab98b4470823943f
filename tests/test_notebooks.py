"""The notebooks in notebooks/ run top to bottom on a fresh demo workspace they make themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "matched" in text and "receipts" in text  # the batch run is shown, not assumed
    if path.stem == "explain_a_receipt":
        assert "exact_reference" in text or "amount" in text  # the passes and candidates are printed
        assert "open documents across" in text
    else:
        charts = [o for o in outputs if "data" in o and any("vega" in k or k == "text/html" for k in o["data"])]
        assert len(charts) >= 2, "the aging and receipts charts"
        assert "credit memos" in text and "on account" in text


def test_both_notebooks_are_there() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"explore_workspace", "explain_a_receipt"}
