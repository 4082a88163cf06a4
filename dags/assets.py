"""Assets the DAGs update: downstream DAGs (re-indexing, serving warm-ups) can be
scheduled on a committed gallery version or a promoted model."""

from __future__ import annotations

from airflow.sdk import Asset

GALLERY_ASSET = Asset(name="upgradeflow_gallery", uri="upgradeflow://gallery/live")
CHAMPION_ASSET = Asset(name="upgradeflow_champion", uri="upgradeflow://model/champion")
