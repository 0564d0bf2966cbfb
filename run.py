"""The app as a process runs it: ``flask --app run ...`` (what the Makefile uses),
``python run.py`` and ``gunicorn run:app``. Logging is set up here, before the app is built."""
import gc
import os

from config.log import configure_logging
from contracts_app import create_app

configure_logging()
app = create_app()
# What is built by now (the modules, the app, SQLAlchemy's mappers and statements: ~200,000
# objects) lives as long as the process: frozen out of the cyclic garbage collector, whose full
# passes otherwise walk all of it (~0.1 s of a gunicorn worker every few hundred requests,
# about 5% of a single correction's CPU through the API).
gc.collect()
gc.freeze()

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
