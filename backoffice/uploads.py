"""Files staff upload: CSV imports, AFIP certificates and keys. Checked before anything reads them."""

from __future__ import annotations

from pathlib import PurePath

MAX_UPLOAD = 1024 * 1024  # 1 MB: tens of thousands of CSV rows, far more than a shop has
# What browsers send for a .csv: Windows with Excel installed says it is an Excel file.
CSV_TYPES = {"text/csv", "application/csv", "text/x-csv", "text/comma-separated-values",
             "application/vnd.ms-excel", "text/plain"}
UPLOAD_ERRORS = {
    "missing": "Elegí un archivo CSV para importar.",
    "type": "Ese archivo no es un CSV. En Excel usá «Guardar como» → «CSV (delimitado por comas)» "
            "y subí ese archivo.",
    "size": "El archivo pesa más de 1 MB. Partilo en varios archivos más chicos y subilos de a uno.",
    "binary": "Ese archivo no parece un CSV de texto (¿es una planilla .xlsx renombrada?). "
              "Guardalo como «CSV (delimitado por comas)» y probá de nuevo.",
}


class UploadRefused(ValueError):
    """An uploaded file we do not read; the message is shown to the person as is."""


def read_upload(upload, *, suffixes: set[str], mimetypes: set[str] | None, max_bytes: int,
                errors: dict[str, str]) -> bytes:
    """The bytes of an uploaded file, refused (with `errors[reason]`) when it is missing, of
    another type, over `max_bytes`, empty, or binary. `mimetypes=None` accepts any type the
    browser names (certificates arrive as anything from text/plain to octet-stream)."""
    if upload is None or not upload.filename:
        raise UploadRefused(errors["missing"])
    mimetype = (upload.mimetype or "").lower()
    if PurePath(upload.filename).suffix.lower() not in suffixes or (
            mimetypes is not None and mimetype not in mimetypes):
        raise UploadRefused(errors["type"])
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadRefused(errors["size"])
    if not data.strip():
        raise UploadRefused(errors["missing"])
    if b"\x00" in data:
        raise UploadRefused(errors["binary"])
    return data


def read_csv_upload(upload) -> bytes:
    """An uploaded CSV (up to 1 MB of text)."""
    return read_upload(upload, suffixes={".csv"}, mimetypes=CSV_TYPES, max_bytes=MAX_UPLOAD,
                       errors=UPLOAD_ERRORS)
