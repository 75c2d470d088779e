// The outbox on a fake page: a cookie jar behind document.cookie, a Map behind localStorage, a
// scripted fetch, window's `online` listeners, and node:test's mocked timers and clock.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";

import { outbox } from "../../banner-js/src/outbox.js";
import { NOW, makeToken, payload } from "./helpers.mjs";

const ORIGIN = "https://consent.example.com";
const KEY = "consent:queue:default";
const TOKEN_KEY = "consent:token:default";
const UUID =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const POST_URL = `${ORIGIN}/v1/sites/default/consents`;

/** A queued decision as index.js hands it to `add` (the outbox adds its `key`). */
const decision = (id, site = "default") => ({
  site,
  record: {
    site,
    subject: "subj-1",
    receipt: id,
    granted: ["session", "persistent", "third_party"],
    denied: [],
    policy_version: "2026-01",
    expires: NOW + 86400,
    at: NOW,
    pending: true,
  },
  body: {
    id,
    subject: "subj-1",
    notice: "a".repeat(64),
    choices: { session: true, persistent: true, third_party: true },
    language: "en",
    method: "accept_all",
    layer: "first",
    banner_build: "test",
    gpc: false,
  },
});

/** A decision as the queue in localStorage holds it: with its own idempotency secret. */
const item = (id, site = "default") => ({
  ...decision(id, site),
  key: `secret-${id}`,
});

/** Let a flush started by a timer run to its end (fetch and json resolve at once). */
const settle = () => new Promise((r) => setImmediate(r));

let page;

/**
 * A page with these cookies and localStorage entries. `page.answer(status, data)` scripts the
 * next fetch (status 0: a network error); `page.hold()` scripts one that waits for `release()`.
 */
function fakePage({ cookies = {}, storage = {} } = {}) {
  const jar = new Map(Object.entries(cookies));
  const store = new Map(Object.entries(storage));
  const p = {
    jar,
    store,
    storageUses: 0,
    cookieWrites: [],
    requests: [],
    answers: [],
    warnings: [],
    recorded: [],
    online: [],
    answer: (status, data = null) => p.answers.push(() => ({ status, data })),
    hold() {
      let release;
      const held = new Promise((r) => (release = r));
      p.answers.push(() => held);
      return (status, data = null) => release({ status, data });
    },
    queued: () => JSON.parse(store.get(KEY) ?? "null"),
  };
  globalThis.location = { protocol: "https:", hostname: "www.example.com" };
  globalThis.document = {
    get cookie() {
      return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    },
    set cookie(v) {
      p.cookieWrites.push(v);
      const [pair] = v.split("; ");
      const name = pair.slice(0, pair.indexOf("="));
      if (/Max-Age=0(;|$)/.test(v)) jar.delete(name);
      else jar.set(name, pair.slice(name.length + 1));
    },
  };
  globalThis.localStorage = {
    getItem(k) {
      p.storageUses++;
      return store.has(k) ? store.get(k) : null;
    },
    setItem(k, v) {
      p.storageUses++;
      store.set(k, String(v));
    },
  };
  globalThis.addEventListener = (type, fn) => {
    if (type === "online") p.online.push(fn);
  };
  globalThis.fetch = async (url, init) => {
    p.requests.push({ url, init, body: JSON.parse(init.body) });
    const next = p.answers.shift();
    assert.ok(next, "an unexpected request");
    const { status, data } = await next();
    if (!status) throw new TypeError("Failed to fetch");
    return { status, json: async () => data };
  };
  return p;
}

/** The outbox of site "default", its callbacks recorded on `page`. */
const makeBox = (recorded = (id, token) => page.recorded.push([id, token])) =>
  outbox(ORIGIN, "default", "consent", ".example.com", recorded, (...why) =>
    page.warnings.push(why),
  );

/** A page whose queue (behind the marker cookie) already holds these items. */
const pageWithQueue = (...items) =>
  fakePage({
    cookies: { consent_q: "1" },
    storage: { [KEY]: JSON.stringify(items) },
  });

beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: NOW * 1000 });
});

afterEach(() => {
  mock.timers.reset();
});

describe("outbox: keeping decisions", () => {
  test("with nothing queued, localStorage is never opened and nothing is sent", async () => {
    page = fakePage();
    const box = makeBox();
    assert.equal(box.pending("rcpt-1"), null); // as on a page with a consent cookie
    await box.flush();
    assert.equal(page.storageUses, 0);
    assert.deepEqual(page.cookieWrites, []);
    assert.equal(page.requests.length, 0);
  });

  test("a queued decision goes to localStorage, behind a marker cookie for a year", () => {
    page = fakePage();
    makeBox().add(decision("a"));
    const [queued] = page.queued();
    assert.deepEqual(queued, { ...decision("a"), key: queued.key });
    assert.deepEqual(page.cookieWrites, [
      "consent_q=1; Path=/; Domain=.example.com; Max-Age=31536000; SameSite=Lax; Secure",
    ]);
  });

  test("adding the same decision again replaces it", () => {
    page = fakePage();
    const box = makeBox();
    box.add(decision("a"));
    box.add(decision("b"));
    box.add(decision("a"));
    assert.deepEqual(
      page.queued().map((q) => q.body.id),
      ["b", "a"],
    );
  });

  test("pending is the newest decision of this site", () => {
    page = pageWithQueue(item("a"), item("b"), item("x", "other"));
    assert.equal(makeBox().pending().body.id, "b");
  });

  test("pending forgets a decision recorded already, and the marker cookie goes with the last one", () => {
    page = pageWithQueue(item("a"), item("b"));
    const box = makeBox();
    assert.equal(box.pending("b").body.id, "a");
    assert.deepEqual(
      page.queued().map((q) => q.body.id),
      ["a"],
    );
    assert.equal(page.jar.get("consent_q"), "1");
    assert.equal(box.pending("a"), null);
    assert.deepEqual(page.queued(), []);
    assert.equal(page.jar.has("consent_q"), false);
  });

  test("malformed entries in localStorage are ignored", async () => {
    page = fakePage({
      cookies: { consent_q: "1" },
      storage: { [KEY]: '[null, 3, {"site": "default", "body": {}}]' },
    });
    const box = makeBox();
    assert.equal(box.pending(), null);
    await box.flush();
    assert.equal(page.requests.length, 0);
  });
});

describe("outbox: sending", () => {
  test("a decision is posted with its own secret as Idempotency-Key, and the secret stays out of the body", async () => {
    page = pageWithQueue(item("a"));
    page.answer(201, {});
    await makeBox().flush();
    const [req] = page.requests;
    assert.equal(req.url, POST_URL);
    assert.equal(req.init.method, "POST");
    assert.equal(req.init.headers["Idempotency-Key"], "secret-a");
    assert.equal(req.init.credentials, "omit");
    assert.deepEqual(req.body, item("a").body);
  });

  test("each decision queued gets a random secret of its own, never its receipt id", async () => {
    page = fakePage();
    const box = makeBox();
    box.add(decision("a"));
    box.add(decision("b"));
    const keys = page.queued().map((q) => q.key);
    for (const k of keys) assert.match(k, UUID);
    assert.notEqual(keys[0], keys[1]);
    page.answer(201, {});
    page.answer(201, {});
    await box.flush();
    assert.deepEqual(
      page.requests.map((r) => r.init.headers["Idempotency-Key"]),
      keys,
    );
    for (const r of page.requests) {
      assert.notEqual(r.init.headers["Idempotency-Key"], r.body.id);
      assert.ok(
        !JSON.stringify(r.body).includes(r.init.headers["Idempotency-Key"]),
      );
    }
  });

  test("a decision queued by an older bundle, without a secret, gets one, the same on every try", async () => {
    const old = item("a");
    delete old.key;
    page = pageWithQueue(old);
    page.answer(503);
    page.answer(201, {});
    await makeBox().flush();
    const [stored] = page.queued();
    assert.match(stored.key, UUID);
    assert.deepEqual(stored, { ...old, key: stored.key });
    mock.timers.tick(2000);
    await settle();
    assert.deepEqual(
      page.requests.map((r) => [r.body.id, r.init.headers["Idempotency-Key"]]),
      [
        ["a", stored.key],
        ["a", stored.key],
      ],
    );
    assert.deepEqual(
      page.recorded.map(([id]) => id),
      ["a"],
    );
  });

  test("after a 2xx the queue is empty, the marker cookie gone, and nothing is sent again", async () => {
    page = pageWithQueue(item("a"));
    page.answer(201, {});
    const box = makeBox();
    await box.flush();
    assert.deepEqual(page.queued(), []);
    assert.equal(page.jar.has("consent_q"), false);
    await box.flush();
    assert.equal(page.requests.length, 1);
  });

  test("the returned token goes into the consent cookie until it expires; the receipt is kept", async () => {
    page = pageWithQueue(item("a"));
    const token = makeToken(payload({ r: "a", e: NOW + 3600 }));
    const receipt = { id: "a", created_at: "2026-01-01T00:00:00Z" };
    page.answer(201, { token, receipt });
    const box = makeBox();
    await box.flush();
    assert.equal(page.jar.get("consent"), token);
    assert.ok(
      page.cookieWrites.includes(
        `consent=${token}; Path=/; Domain=.example.com; Max-Age=3600; SameSite=Lax; Secure`,
      ),
    );
    assert.deepEqual(box.receipt("a"), receipt);
    assert.equal(box.receipt("another decision"), null);
    assert.equal(page.recorded.length, 1);
    assert.equal(page.recorded[0][0], "a");
    assert.equal(page.recorded[0][1].r, "a");
  });

  test("a 2xx without a usable token is still recorded, and the cookie left alone", async () => {
    page = pageWithQueue(item("a"));
    page.answer(200, { token: "garbage" });
    await makeBox().flush();
    assert.deepEqual(page.recorded, [["a", null]]);
    assert.equal(page.jar.has("consent"), false);
  });

  test("decisions go oldest first, each once", async () => {
    page = pageWithQueue(item("a"), item("b"));
    page.answer(201, {});
    page.answer(201, {});
    await makeBox().flush();
    assert.deepEqual(
      page.requests.map((r) => r.body.id),
      ["a", "b"],
    );
    assert.deepEqual(
      page.recorded.map(([id]) => id),
      ["a", "b"],
    );
  });

  test("decisions of another site are neither sent nor dropped", async () => {
    page = pageWithQueue(item("x", "other"), item("a"));
    page.answer(201, {});
    await makeBox().flush();
    assert.deepEqual(
      page.requests.map((r) => r.body.id),
      ["a"],
    );
    assert.deepEqual(page.queued(), [item("x", "other")]);
    assert.equal(page.jar.get("consent_q"), "1");
  });
});

describe("outbox: retrying", () => {
  test("a 5xx or network error keeps the decision and retries after 2 s, 4 s, 8 s, with the same id", async () => {
    page = pageWithQueue(item("a"));
    page.answer(503);
    page.answer(0);
    page.answer(502);
    page.answer(201, {});
    await makeBox().flush();
    assert.equal(page.requests.length, 1);
    assert.deepEqual(
      page.queued().map((q) => q.body.id),
      ["a"],
    );
    assert.equal(page.jar.get("consent_q"), "1");
    assert.deepEqual(page.recorded, []);

    for (const [delay, sent] of [
      [2000, 2],
      [4000, 3],
      [8000, 4],
    ]) {
      mock.timers.tick(delay - 1);
      await settle();
      assert.equal(page.requests.length, sent - 1, `not before ${delay} ms`);
      mock.timers.tick(1);
      await settle();
      assert.equal(page.requests.length, sent, `after ${delay} ms`);
    }
    assert.deepEqual(
      page.requests.map((r) => [r.body.id, r.init.headers["Idempotency-Key"]]),
      [
        ["a", "secret-a"],
        ["a", "secret-a"],
        ["a", "secret-a"],
        ["a", "secret-a"],
      ],
    );
    assert.deepEqual(
      page.recorded.map(([id]) => id),
      ["a"],
    );
    assert.deepEqual(page.queued(), []);
    assert.equal(page.jar.has("consent_q"), false);
    mock.timers.tick(60000);
    await settle();
    assert.equal(page.requests.length, 4);
  });

  test("after a success the backoff starts again at 2 s", async () => {
    page = pageWithQueue(item("a"));
    page.answer(503);
    page.answer(201, {});
    const box = makeBox();
    await box.flush();
    mock.timers.tick(2000);
    await settle();
    box.add(decision("b"));
    page.answer(503);
    page.answer(201, {});
    await box.flush();
    mock.timers.tick(2000);
    await settle();
    assert.deepEqual(
      page.requests.map((r) => r.body.id),
      ["a", "a", "b", "b"],
    );
  });

  test("back online, it sends at once and replaces the pending retry", async () => {
    page = pageWithQueue(item("a"));
    page.answer(503);
    page.answer(503);
    page.answer(201, {});
    await makeBox().flush(); // a retry due in 2 s
    assert.equal(page.online.length, 1);
    // Sent at once; the next retry is due 4 s later and the 2 s one is gone.
    await page.online[0](new Event("online"));
    assert.equal(page.requests.length, 2);
    mock.timers.tick(3999);
    await settle();
    assert.equal(page.requests.length, 2);
    mock.timers.tick(1);
    await settle();
    assert.equal(page.requests.length, 3);
    assert.deepEqual(page.queued(), []);
  });

  for (const [status, type] of [
    [422, "validation-error"],
    [403, "subject-proof-required"],
    [409, "reused-key"],
  ])
    test(`a ${status} (${type}) drops the decision with a warning and goes on with the next`, async () => {
      page = pageWithQueue(item("a"), item("b"));
      const problem = { type, status };
      page.answer(status, problem);
      page.answer(201, {});
      await makeBox().flush();
      assert.deepEqual(page.warnings, [["refused", status, problem]]);
      assert.deepEqual(
        page.recorded.map(([id]) => id),
        ["b"],
      );
      assert.deepEqual(page.queued(), []);
      mock.timers.tick(60000);
      await settle();
      assert.equal(page.requests.length, 2);
    });

  test("a second flush while one is running does nothing", async () => {
    page = pageWithQueue(item("a"));
    const release = page.hold();
    const box = makeBox();
    const first = box.flush();
    await box.flush();
    assert.equal(page.requests.length, 1);
    release(201, {});
    await first;
    assert.equal(page.requests.length, 1);
    assert.deepEqual(page.recorded, [["a", null]]);
    assert.deepEqual(page.queued(), []);
  });

  test("a failure is warned about, never thrown, and the next flush runs", async () => {
    page = pageWithQueue(item("a"), item("b"));
    page.answer(201, {});
    page.answer(201, {});
    let calls = 0;
    const box = makeBox(() => {
      if (!calls++) throw new Error("boom");
    });
    await box.flush();
    assert.equal(page.warnings.length, 1);
    assert.equal(page.warnings[0][0].message, "boom");
    await box.flush();
    assert.deepEqual(
      page.requests.map((r) => r.body.id),
      ["a", "b"],
    );
    assert.deepEqual(page.queued(), []);
  });
});

describe("outbox: proof of the subject", () => {
  const tokenOf = (over = {}) => makeToken(payload({ e: NOW + 3600, ...over }));

  test("a first decision goes without a token", async () => {
    page = fakePage();
    const box = makeBox();
    box.add(decision("a"));
    page.answer(201, {});
    await box.flush();
    assert.equal("token" in page.requests[0].body, false);
  });

  test("a second decision queued before the first was recorded carries the token the first answer returned", async () => {
    page = fakePage();
    const box = makeBox();
    box.add(decision("a"));
    box.add(decision("b"));
    const first = tokenOf({ r: "a" });
    page.answer(201, { token: first, receipt: { id: "a" } });
    page.answer(201, { token: tokenOf({ r: "b" }), receipt: { id: "b" } });
    await box.flush();
    assert.equal("token" in page.requests[0].body, false);
    assert.equal(page.requests[1].body.token, first);
  });

  test("the token is read when the decision is sent, not when it was queued", async () => {
    page = fakePage();
    const box = makeBox();
    box.add(decision("a"));
    const later = tokenOf({ r: "from-another-tab" });
    page.jar.set("consent", later);
    page.answer(201, {});
    await box.flush();
    assert.equal(page.requests[0].body.token, later);
    assert.equal(JSON.stringify(page.store.get(KEY)).includes(later), false);
  });

  test("a retry sends the same secret, and the token of the time", async () => {
    page = fakePage({ cookies: { consent: tokenOf({ r: "old" }) } });
    const box = makeBox();
    box.add(decision("a"));
    page.answer(0);
    page.answer(201, {});
    await box.flush();
    const newer = tokenOf({ r: "newer" });
    page.jar.set("consent", newer);
    mock.timers.tick(2000);
    await settle();
    const [one, two] = page.requests;
    assert.equal(
      one.init.headers["Idempotency-Key"],
      two.init.headers["Idempotency-Key"],
    );
    assert.equal(two.body.token, newer);
  });

  test("a token of another subject or site is not sent", async () => {
    for (const over of [{ u: "someone-else" }, { s: "other" }]) {
      page = fakePage({ cookies: { consent: tokenOf(over) } });
      const box = makeBox();
      box.add(decision("a"));
      page.answer(201, {});
      await box.flush();
      assert.equal(
        "token" in page.requests[0].body,
        false,
        JSON.stringify(over),
      );
    }
  });

  test("the token is kept in localStorage too, and proves the subject after the cookie has expired", async () => {
    page = fakePage();
    const box = makeBox();
    box.add(decision("a"));
    const token = tokenOf({ r: "a" });
    page.answer(201, { token });
    await box.flush();
    assert.equal(page.store.get(TOKEN_KEY), JSON.stringify(token));

    page.jar.delete("consent"); // Max-Age ran out
    assert.equal(box.subject(), "subj-1");
    box.add(decision("b"));
    page.answer(201, {});
    await box.flush();
    assert.equal(page.requests[1].body.token, token);
  });

  test("subject: the cookie token's, else the kept token's, of this site only", () => {
    page = fakePage();
    assert.equal(makeBox().subject(), undefined);
    page = fakePage({
      storage: { [TOKEN_KEY]: JSON.stringify(tokenOf({ u: "kept" })) },
    });
    assert.equal(makeBox().subject(), "kept");
    page = fakePage({
      cookies: { consent: tokenOf({ u: "cookie" }) },
      storage: { [TOKEN_KEY]: JSON.stringify(tokenOf({ u: "kept" })) },
    });
    assert.equal(makeBox().subject(), "cookie");
    page = fakePage({ cookies: { consent: tokenOf({ u: "x", s: "other" }) } });
    assert.equal(makeBox().subject(), undefined);
  });
});
