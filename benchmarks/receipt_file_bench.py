"""The visitor's receipt file: time and size of GET /v1/receipts/<id>/file.

    .venv/bin/python benchmarks/receipt_file_bench.py              # 2,000 receipts
    .venv/bin/python benchmarks/receipt_file_bench.py --rows 20000

Records decisions through the API on a fresh SQLite database (so each receipt has
its token and JWS), seals the log, then fetches the files of random receipts with
their subjects' tokens through the full Flask stack: median and p95 in ms, and
the file's size. The inclusion proof at a million leaves is log_bench's figure.

On the development machine (2 cores shared with other jobs, load average 11),
2,000 receipts: median 15 ms, p95 67 ms, 26 kB per file.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consent_server import create_app  # noqa: E402
from consent_server.extensions import db  # noqa: E402
from consent_server.log_seal import seal  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="filebench-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "CONSENT_SECRET_KEYS": ["bench-key-0123456789abcdef0123"],
            "CONSENT_SIGNING_KEYS": "bench:" + "A" * 43,
            "CONSENT_RATELIMIT_ENABLED": False,
            "CONSENT_LOG_SEAL_INTERVAL": 0,
        }
    )
    app.instance_path = str(folder)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    notice = client.get("/v1/sites/default/notice").json["notice"]
    recorded = []
    for i in range(args.rows):
        body = {
            "notice": notice,
            "choices": {"persistent": i % 2 == 0, "third_party": i % 3 == 0},
        }
        recorded.append(client.post("/v1/sites/default/consents", json=body).json)
    with app.app_context():
        seal()
    times, sizes = [], []
    for one in random.sample(recorded, min(args.samples, len(recorded))):
        path = f"/v1/receipts/{one['receipt']['id']}/file"
        start = time.perf_counter()
        rv = client.get(path, headers={"X-Consent-Token": one["token"]})
        times.append((time.perf_counter() - start) * 1000)
        assert rv.status_code == 200 and rv.json["proof"] is not None
        sizes.append(len(rv.data))
    times.sort()
    print(
        json.dumps(
            {
                "rows": args.rows,
                "file_median_ms": round(statistics.median(times), 2),
                "file_p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
                "file_bytes_median": int(statistics.median(sizes)),
            }
        )
    )


if __name__ == "__main__":
    main()
