"""The benches run the web process as the Procfile does (bench._infra.procfile_gunicorn)."""

from bench._infra import procfile_gunicorn


def test_short_options_threads_and_gunicorn_defaults(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("worker: python -m workers.worker\n"
                        "web: exec gunicorn wsgi:app --bind 127.0.0.1:$PORT -w 3 -k gthread --threads 4\n")
    assert procfile_gunicorn(procfile) == ["--workers", "3", "--worker-class", "gthread",
                                           "--threads", "4"]
    procfile.write_text("web: gunicorn wsgi:app --timeout 30\n")
    assert procfile_gunicorn(procfile) == ["--workers", "1", "--worker-class", "sync"]
