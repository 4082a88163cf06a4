"""A tracking URI MLflow cannot use fails in one line that names it."""

from __future__ import annotations

import mlflow
import pytest

from upgradeflow.cli.main import main
from upgradeflow.errors import UserInputError
from upgradeflow.registry.tracking import EXPERIMENT, use_tracking

pytestmark = pytest.mark.usefixtures("restore_tracking")


def test_a_sqlite_uri_creates_the_experiment(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}"
    assert use_tracking(uri) == uri
    assert mlflow.get_experiment_by_name(EXPERIMENT) is not None


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("{tmp}/plain", "MLflow's file store is retired"),
        ("file://{tmp}/files", "MLflow's file store is retired"),
        ("bogus://x", "unsupported scheme 'bogus'"),
        ("sqlite:///{tmp}/table.parquet", "not an MLflow database (file is not a database)"),
        ("sqlite:///{tmp}/table.parquet/mlflow.db", "cannot create"),
    ],
)
def test_unusable_uris_are_one_line_user_errors(uri, message, tmp_path):
    (tmp_path / "table.parquet").write_bytes(b"PAR1" + bytes(200))
    uri = uri.format(tmp=tmp_path)
    with pytest.raises(UserInputError) as raised:
        use_tracking(uri)
    text = str(raised.value)
    assert text.startswith(f"tracking URI '{uri}': ") and message in text and "\n" not in text


def test_status_with_a_bad_tracking_uri_is_one_line_and_exit_2(tmp_path, capsys):
    status = main(["status", "--store", str(tmp_path / "store"), "--tracking-uri", "bogus://x"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.splitlines() == [
        "upgradeflow: error: tracking URI 'bogus://x': unsupported scheme 'bogus' "
        "(use sqlite:///PATH or a tracking server's http(s):// URI)"
    ]
