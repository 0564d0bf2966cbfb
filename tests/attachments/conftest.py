import pytest


@pytest.fixture(autouse=True)
def files_dir(request, tmp_path):
    """Each attachment test keeps its files in a folder of its own, so it can see exactly what
    it left behind. (Tests of the pure checks need no app, so get none.)"""
    directory = tmp_path / "attachments"
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["ATTACHMENTS_DIR"] = str(directory)
    return directory
