"""``upgradeflow bench trade-off``: the command around ``bench/trade_off.py``, whose
reading of the results is tested in tests/bench/test_trade_off.py."""

from __future__ import annotations

import json

from tests.bench.helpers import DMU, bct, run_file
from upgradeflow.cli.main import main


def test_command_writes_table_json_and_plot_and_rejects_a_file_that_is_no_result(tmp_path, capsys):
    path = run_file(
        tmp_path,
        "a",
        {"bct-l0.5": (bct(0.5), [(7.0, 90.0)]), "bct": (bct(), [(8.0, 86.0)]), "dmu": (DMU, [(7.5, 89.0)])},
    )
    out = tmp_path / "trade.json"
    assert main(["bench", "trade-off", str(path), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["methods"]["dmu"]["above_bct_curve"]["mean"] == 1.0
    assert "| dmu | 1 | 7.50 | 89.00 | +1.00 ± 0.00 | 1/1 |" in out.with_suffix(".md").read_text()
    assert out.with_suffix(".png").stat().st_size > 0
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]")
    assert main(["bench", "trade-off", str(junk), "--out", str(tmp_path / "x.json")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("upgradeflow: error:") and "not a `bench compat` result" in error
    assert "\n" not in error and not (tmp_path / "x.json").exists()
