"""Load from wrk: requests/s, latency percentiles and errors of one run, and the
latency percentiles of several runs merged (``server_bench.py``'s slices)."""

from __future__ import annotations

import argparse
import bisect
import json
import os
import subprocess
import tempfile
from typing import Any

LUA = """
wrk.method = "{method}"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
-- Bodies with @ID@/@SUBJECT@ get fresh UUIDs per request, as the banner sends them.
local template = wrk.body
local counter = 1
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  math.randomseed(os.time() * 100 + (tid or 0))
end
local function uuid()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx", "x", function()
    return string.format("%x", math.random(0, 15))
  end))
end
function request()
  if template and template:find("@ID@", 1, true) then
    local id = uuid()
    local body = template:gsub("@ID@", id):gsub("@SUBJECT@", uuid())
    local headers = {{}}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    headers["Idempotency-Key"] = id
    return wrk.format(nil, nil, headers, body)
  end
  return wrk.request()
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  -- The latency at every tenth of a percent: slices merge into the run's.
  local quantiles = {{}}
  for i = 1, 1000 do
    quantiles[i] = string.format("%f", latency:percentile(i / 10) / 1000)
  end
  io.write(string.format(
    "JSON{{\\"requests\\":%d,\\"seconds\\":%f,\\"p50\\":%f,\\"p99\\":%f,\\"errors\\":%d,"
    .. "\\"quantiles\\":[%s]}}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors, table.concat(quantiles, ",")))
end
"""


def wrk(
    url: str, method: str, body: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(LUA.format(method=method, body=json.dumps(body) if body else "nil"))
        script = fh.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(args.connections),
                "-d",
                f"{args.duration}s",
                "--latency",
                "-s",
                script,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    line = next(x for x in out.splitlines() if x.startswith("JSON"))
    result: dict[str, Any] = json.loads(line[4:])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def merged_percentile(slices: list[dict[str, Any]], fraction: float) -> float:
    """The run's latency at ``fraction`` of its requests, from each slice's
    latencies at every tenth of a percent, weighted by the slice's requests."""
    total = sum(r["requests"] for r in slices)
    for value in sorted({v for r in slices for v in r["quantiles"]}):
        below = sum(
            r["requests"] * bisect.bisect_right(r["quantiles"], value) for r in slices
        ) / len(slices[0]["quantiles"])
        if below >= fraction * total:
            return float(value)
    return float(max(r["quantiles"][-1] for r in slices))
