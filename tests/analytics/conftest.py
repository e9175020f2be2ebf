import pytest


@pytest.fixture(autouse=True)
def _own_analytics_file(settings, tmp_path):
    """Each test stages into its own analytics file."""
    settings.ANALYTICS_DIR = tmp_path / "analytics"
