"""The app as a process runs it: ``flask --app run ...`` (what the Makefile uses),
``python run.py`` and ``gunicorn run:app``. Logging is set up here, before the app is built."""
import os

from config.log import configure_logging
from contracts_app import create_app

configure_logging()
app = create_app()

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
