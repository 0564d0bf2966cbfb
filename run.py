"""Development entry point: ``flask --app run run`` or ``python run.py``."""
import os

from contracts_app import create_app

app = create_app()

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
