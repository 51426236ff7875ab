"""Log hygiene: heyoo's per-send INFO lines (with customers' numbers) stay out of our logs."""

from __future__ import annotations

import logging

import heyoo

from core.logging import configure_logging


def test_heyoo_info_chatter_is_dropped_but_its_errors_pass(capsys):
    configure_logging("INFO", json_lines=False)
    as_heyoo = compile(
        "import logging\n"
        "logging.info('Sending message to 5491155550000')\n"
        "logging.error('Response: {\"error\": 190}')\n",
        heyoo.__file__, "exec",
    )
    exec(as_heyoo, {})  # noqa: S102 - code that logs as if it were heyoo
    logging.getLogger("campotech.test").info("ours stays")
    err = capsys.readouterr().err
    assert "5491155550000" not in err
    assert "Response" in err and "ours stays" in err
