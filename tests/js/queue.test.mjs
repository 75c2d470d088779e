import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  backoff,
  dequeue,
  enqueue,
  latest,
  outcome,
  sanitize,
} from "../../banner-js/src/queue.js";

const item = (id, site = "default") => ({
  site,
  record: { site, receipt: id, granted: ["session"], denied: ["third_party"] },
  body: { id, subject: "s" },
  key: `secret-${id}`,
});

/** A key maker that must not be called. */
const noKey = () => assert.fail("no new key expected");

describe("queue", () => {
  test("enqueue appends in order", () => {
    const q = enqueue(enqueue([], item("a")), item("b"));
    assert.deepEqual(
      q.map((x) => x.body.id),
      ["a", "b"],
    );
  });

  test("enqueue of the same id replaces it (a retry never duplicates)", () => {
    const q = enqueue(enqueue(enqueue([], item("a")), item("b")), item("a"));
    assert.deepEqual(
      q.map((x) => x.body.id),
      ["b", "a"],
    );
  });

  test("enqueue does not mutate its input", () => {
    const q = [item("a")];
    enqueue(q, item("b"));
    assert.equal(q.length, 1);
  });

  test("dequeue drops by id", () => {
    const q = [item("a"), item("b"), item("c")];
    assert.deepEqual(
      dequeue(q, "b").map((x) => x.body.id),
      ["a", "c"],
    );
    assert.equal(dequeue(q, "zzz").length, 3);
  });

  test("latest is the newest item of the site", () => {
    const q = [item("a"), item("x", "other"), item("b"), item("y", "other")];
    assert.equal(latest(q, "default").body.id, "b");
    assert.equal(latest(q, "nope"), null);
  });

  test("sanitize keeps only well-formed items", () => {
    assert.deepEqual(sanitize(null, noKey), []);
    assert.deepEqual(sanitize("x", noKey), []);
    const good = item("a");
    const [kept] = sanitize(
      [
        good,
        null,
        3,
        {},
        { site: "x", body: {} },
        { ...good, record: { granted: "x" } },
      ],
      noKey,
    );
    assert.equal(kept, good);
  });

  test("sanitize gives an item queued by an older bundle a secret of its own", () => {
    const old = item("a");
    delete old.key;
    let made = 0;
    const newKey = () => `new-${++made}`;
    const out = sanitize(
      [old, { ...item("b"), key: "" }, { ...item("c"), key: 7 }, item("d")],
      newKey,
    );
    assert.deepEqual(
      out.map((q) => q.key),
      ["new-1", "new-2", "new-3", "secret-d"],
    );
    assert.deepEqual(out[0], { ...old, key: "new-1" });
    assert.equal("key" in old, false, "the input is not changed");
  });
});

describe("retry policy", () => {
  test("backoff doubles from 2 s and caps at 60 s", () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 20].map(backoff),
      [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000],
    );
  });

  test("201 is done", () => {
    assert.equal(outcome(201), "done");
    assert.equal(outcome(200), "done");
  });

  test("4xx drops the decision: it would never succeed", () => {
    for (const s of [400, 404, 409, 413, 422])
      assert.equal(outcome(s), "drop", String(s));
  });

  test("network errors, 5xx, timeouts and rate limits are retried", () => {
    for (const s of [0, 500, 502, 503, 408, 429])
      assert.equal(outcome(s), "retry", String(s));
  });
});
