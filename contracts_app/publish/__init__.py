"""Open data published on a schedule: the OCDS release and record packages, CSV tables of the
public contracts and a DCAT-US ``data.json`` catalogue, written into PUBLISH_DIR (see run.py)."""
