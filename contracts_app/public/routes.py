"""/public/data: the files the nightly publication writes (contracts_app/publish), listed with
their licence and last update and served as they are, with ETag and Last-Modified so that a
portal re-polling them downloads only what changed. No sign-in."""
import os
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, send_from_directory

from contracts_app.public import bp
from contracts_app.publish.run import FILES, publish_dir

# A portal polls nightly: let caches keep a file an hour, then ask again (ETag makes that cheap).
MAX_AGE = 3600


def _published_files():
    folder = publish_dir()
    city = ZoneInfo(current_app.config["CITY_TIMEZONE"])
    listed = []
    for name, (media_type, fmt, title, description) in FILES.items():
        try:
            stat = os.stat(os.path.join(folder, name))
        except OSError:
            continue
        listed.append({
            "name": name, "format": fmt, "title": title, "description": description, "size": stat.st_size,
            "updated": datetime.fromtimestamp(stat.st_mtime, city),
        })
    return listed


@bp.route("/data")
def data_index():
    return render_template(
        "public/data.html", files=_published_files(), license_url=current_app.config["OCDS_LICENSE"],
    )


@bp.route("/data/<name>")
def data_file(name):
    if name not in FILES:
        abort(404)
    # Text types get "; charset=utf-8" added by Werkzeug.
    response = send_from_directory(publish_dir(), name, mimetype=FILES[name][0], conditional=True, etag=True, max_age=MAX_AGE)
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: any site may fetch it
    return response
