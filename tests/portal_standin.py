"""A stand-in for the open-data portals the publication is pushed to: a real HTTP server on
127.0.0.1 (a random port, its own thread) that answers just enough of

- CKAN's action API (POST /api/action/<action>): package_show, package_create, package_patch,
  resource_create and resource_patch, the last two with a multipart upload, every call checked
  against the API key in the Authorization header (a wrong one: 403 "Authorization Error", as
  CKAN answers); and
- SODA's producer API as sodapy calls it: PUT /resource/<id>.json (replace every row) and POST
  (upsert: rows added), a CSV body, HTTP basic authentication and the X-App-Token header,

and records every call: method, path, headers, JSON or form body, uploaded files' content.
``fail`` makes a portal answer every call with an HTTP status (500, 403) until it is cleared;
``fail_after`` does so after a number of calls answered as usual (a portal failing half way).
"""
import base64
import csv
import io
import json
import threading
import uuid
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Call:
    portal: str  # "ckan" or "socrata"
    method: str
    path: str
    headers: dict
    json: dict | None = None
    form: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)  # field -> (file name, bytes)
    body: bytes = b""

    @property
    def action(self):
        return self.path.rsplit("/", 1)[-1] if self.portal == "ckan" else self.method


class PortalStandIn:
    """The two portals' state: CKAN packages (by name) with their resources and each
    resource's uploaded bytes; Socrata datasets (by id) with their header and rows."""

    def __init__(self, ckan_key="ckan-key", ckan_org="city-of-demo", socrata_user="push@demo.city",
                 socrata_password="socrata-secret", socrata_token="app-token", socrata_datasets=("abcd-1234", "wxyz-5678")):
        self.ckan_key = ckan_key
        self.ckan_org = ckan_org
        self.socrata_credentials = (socrata_user, socrata_password)
        self.socrata_token = socrata_token
        self.packages = {}
        self.uploads = {}  # resource id -> bytes
        self.datasets = {dataset: {"header": None, "rows": []} for dataset in socrata_datasets}
        self.calls = []
        self.fail = {}  # portal -> HTTP status answered to every call
        self.fail_after = {}  # portal -> (calls answered as usual, then the HTTP status of every later one)
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    # --- what tests read ---

    def ckan_calls(self, *actions):
        return [c for c in self.calls if c.portal == "ckan" and (not actions or c.action in actions)]

    def socrata_calls(self):
        return [c for c in self.calls if c.portal == "socrata"]

    def uploads_calls(self):
        """Calls that sent data: CKAN uploads and Socrata replaces/upserts."""
        return self.ckan_calls("resource_create", "resource_patch") + self.socrata_calls()

    def resource(self, package, name):
        return next(r for r in self.packages[package]["resources"] if r["name"] == name)

    def uploaded(self, package, name):
        return self.uploads[self.resource(package, name)["id"]]

    def rows(self, dataset):
        return self.datasets[dataset]["rows"]

    # --- the server ---

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        portal = "ckan" if request.path.startswith("/api/action/") else "socrata"
        call = Call(portal=portal, method=request.method, path=request.path, headers=dict(request.headers))
        if request.mimetype == "multipart/form-data":
            call.form = request.form.to_dict()
            call.files = {name: (f.filename, f.read()) for name, f in request.files.items()}
        else:
            call.body = request.get_data()
            if request.mimetype == "application/json":
                call.json = json.loads(call.body or b"{}")
        with self._lock:
            self.calls.append(call)
            if portal in self.fail_after:
                answered, status = self.fail_after[portal]
                if sum(c.portal == portal for c in self.calls) > answered:
                    self.fail.setdefault(portal, status)
            if portal in self.fail and portal == "ckan":
                # What a proxy in front of CKAN answers: a page, not the action API's JSON.
                response = Response("<html><body><h1>Service unavailable</h1></body></html>", self.fail[portal],
                                    mimetype="text/html")
            elif portal in self.fail:
                response = _json({"code": "internal_error", "error": True, "message": "stand-in failure"}, self.fail[portal])
            elif portal == "ckan":
                response = self._ckan(call)
            else:
                response = self._socrata(call)
        return response(environ, start_response)

    def _ckan(self, call):
        if call.headers.get("Authorization") != self.ckan_key:
            return _ckan_error(403, "Authorization Error", "Access denied: the API token is not valid")
        data = call.json if call.json is not None else call.form
        action = call.action
        if action == "package_show":
            package = self.packages.get(data.get("id")) or next(
                (p for p in self.packages.values() if p["id"] == data.get("id")), None)
            if package is None:
                return _ckan_error(404, "Not Found Error", "Not found")
            return _ckan_result(package)
        if action == "package_create":
            if data.get("name") in self.packages:
                return _ckan_error(409, "Validation Error", {"name": ["That URL is already in use."]})
            if data.get("owner_org") != self.ckan_org:
                return _ckan_error(409, "Validation Error", {"owner_org": ["Organization does not exist"]})
            package = {**data, "id": str(uuid.uuid4()), "owner_org": "org-" + self.ckan_org, "resources": []}
            package["tags"] = [{"name": t["name"], "id": str(uuid.uuid4())} for t in data.get("tags", [])]
            self.packages[data["name"]] = package
            return _ckan_result(package)
        if action == "package_patch":
            package = next(p for p in self.packages.values() if p["id"] == data["id"])
            package.update({k: v for k, v in data.items() if k != "id"})
            return _ckan_result(package)
        if action == "resource_create":
            package = next(p for p in self.packages.values() if p["id"] == data["package_id"])
            resource = {**data, "id": str(uuid.uuid4()), "url_type": "upload"}
            package["resources"].append(resource)
            return self._store_upload(call, resource)
        if action == "resource_patch":
            resource = next(r for p in self.packages.values() for r in p["resources"] if r["id"] == data["id"])
            return self._store_upload(call, resource)
        return _ckan_error(400, "Bad Request", f"unknown action {action}")

    def _store_upload(self, call, resource):
        if "upload" not in call.files:
            return _ckan_error(409, "Validation Error", {"upload": ["Missing value"]})
        filename, content = call.files["upload"]
        self.uploads[resource["id"]] = content
        resource["url"] = f"{self.url}/dataset/resource/{resource['id']}/download/{filename}"
        return _ckan_result(resource)

    def _socrata(self, call):
        authorization = call.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(":".join(self.socrata_credentials).encode()).decode()
        if authorization != expected:
            return _json({"code": "authentication_required", "error": True, "message": "Invalid username or password"}, 401)
        if call.headers.get("X-App-Token") != self.socrata_token:
            return _json({"code": "permission_denied", "error": True, "message": "Invalid app_token specified"}, 403)
        dataset = call.path.removeprefix("/resource/").removesuffix(".json")
        if not call.path.startswith("/resource/") or dataset not in self.datasets:
            return _json({"code": "not_found", "error": True, "message": "Not found"}, 404)
        if call.method not in ("PUT", "POST") or call.headers.get("Content-Type") != "text/csv":
            return _json({"code": "bad_request", "error": True, "message": "CSV, by PUT or POST"}, 400)
        header, *rows = list(csv.reader(io.StringIO(call.body.decode("utf-8"))))
        table = self.datasets[dataset]
        if call.method == "PUT":
            table["header"], table["rows"] = header, rows
        else:
            if header != table["header"]:
                return _json({"code": "bad_request", "error": True, "message": "columns differ"}, 400)
            table["rows"].extend(rows)
        return _json({"Errors": 0, "Rows Deleted": 0, "Rows Updated": 0, "By SID": 0, "Rows Created": len(rows),
                      "By RowIdentifier": 0})


def _json(document, status=200):
    return Response(json.dumps(document), status, mimetype="application/json")


def _ckan_result(result):
    return _json({"help": "stand-in", "success": True, "result": result})


def _ckan_error(status, kind, message):
    error = {"__type": kind, **({"message": message} if isinstance(message, str) else message)}
    return _json({"help": "stand-in", "success": False, "error": error}, status)
