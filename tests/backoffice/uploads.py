"""A CSV sent to a back-office import page as the browser's form sends it, and what a refused
file must show."""

from __future__ import annotations

import io

from backoffice.uploads import UPLOAD_ERRORS


def upload(client, url: str, data: bytes, filename: str, mimetype: str = "text/csv"):
    with client.session_transaction() as session:
        token = session.get("csrf", "")
    return client.post(url, content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), filename, mimetype)})


def assert_refused(response, reason: str) -> None:
    """The import page again, with the reason in its alert and no import report."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<p class="error" role="alert">{UPLOAD_ERRORS[reason]}</p>' in html
    assert "importados" not in html
