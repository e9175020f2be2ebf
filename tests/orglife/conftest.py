import pytest


@pytest.fixture(autouse=True)
def _orglife_files(settings, tmp_path):
    """Meeting files of each test live in its own folder."""
    settings.ORGLIFE_FILE_DIR = tmp_path / "orglife"
