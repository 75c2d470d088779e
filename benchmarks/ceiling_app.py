"""The ceiling: a minimal Flask app returning fixed JSON, served like the real one."""

from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping() -> dict[str, str]:
    return {"status": "ok"}
