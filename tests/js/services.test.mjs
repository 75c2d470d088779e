// Services inside categories (issue #11): decisions at both levels, gating, Consent Mode.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { modeState } from "../../banner-js/src/consentmode.js";
import {
  currentChoices,
  decide,
  fromToken,
  has,
  isStale,
  items,
  makeRecord,
  merge,
  withdrawn,
} from "../../banner-js/src/state.js";
import { cookiesToClear } from "../../banner-js/src/storage.js";
import { NOW, notice, payload } from "./helpers.mjs";

/** The fixture notice with two services in third_party, as the server sends them. */
const withServices = (over = {}) => {
  const n = notice(over);
  n.categories[2].services = [
    {
      id: "analytics",
      name: "Matomo Cloud",
      provider: "InnoCraft Ltd",
      country: "DE",
      eu: true,
      cookies: [{ pattern: "^_pk_id\\.", party: "first" }],
      consent_mode: ["analytics_storage"],
    },
    {
      id: "video",
      name: "Video host",
      provider: "Video SA",
      country: "US",
      eu: false,
      cookies: [{ name: "vid", party: "first" }],
      consent_mode: ["ad_storage"],
    },
  ];
  n.categories[2].consent_mode = [];
  return n;
};

/** What consent_server/decision_check.py accepts: every key, a category = all its services. */
function serverAccepts(n, choices) {
  const keys = items(n).map((x) => x.id);
  assert.deepEqual(Object.keys(choices).sort(), [...keys].sort());
  for (const c of n.categories) {
    if (c.required)
      for (const x of [c, ...(c.services || [])])
        assert.equal(choices[x.id], true);
    if (c.services?.length)
      assert.equal(
        choices[c.id],
        c.services.every((s) => choices[s.id]),
        `${c.id} contradicts its services`,
      );
  }
}

describe("decisions at both levels", () => {
  const n = withServices();

  test("items are each category followed by its services", () => {
    assert.deepEqual(
      items(n).map((x) => x.id),
      ["session", "persistent", "third_party", "analytics", "video"],
    );
  });

  test("accept all and reject all decide every service too", () => {
    const all = decide(n, "accept_all");
    assert.deepEqual(all, {
      session: true,
      persistent: true,
      analytics: true,
      video: true,
      third_party: true,
    });
    const none = decide(n, "reject_all");
    assert.equal(none.analytics || none.video || none.third_party, false);
    serverAccepts(n, all);
    serverAccepts(n, none);
  });

  test("GPC turns a category's services off with it", () => {
    const c = decide(n, "accept_all", {}, true);
    assert.equal(c.third_party, false);
    assert.equal(c.analytics, false);
    assert.equal(c.video, false);
    serverAccepts(n, c);
  });

  test("a category's switch allows it whole", () => {
    const c = decide(n, "custom", { third_party: true });
    assert.equal(c.analytics, true);
    assert.equal(c.video, true);
    assert.equal(c.third_party, true);
    serverAccepts(n, c);
  });

  test("one service on its own: the category is not granted whole", () => {
    const c = decide(n, "custom", { third_party: false, analytics: true });
    assert.deepEqual(
      { analytics: c.analytics, video: c.video, third_party: c.third_party },
      { analytics: true, video: false, third_party: false },
    );
    serverAccepts(n, c);
  });

  test("every service on makes the category granted", () => {
    const c = decide(n, "custom", { analytics: true, video: true });
    assert.equal(c.third_party, true);
    serverAccepts(n, c);
  });

  test("the record lists categories and services, a service grant keeps the consent term", () => {
    const c = decide(n, "custom", { analytics: true });
    const r = makeRecord(n, c, "r", "s", NOW);
    assert.deepEqual(r.granted, ["session", "analytics"]);
    assert.deepEqual(r.denied, ["persistent", "third_party", "video"]);
    assert.equal(r.expires, NOW + 365 * 86400);
    assert.equal(isStale(r, n, NOW), false);
    assert.deepEqual(currentChoices(n, r), c);
  });

  test("a record that does not cover a service is stale", () => {
    const old = fromToken({ ...payload(), iat: NOW - 10 });
    assert.equal(isStale(old, notice(), NOW), false);
    assert.equal(isStale(old, n, NOW), true);
  });
});

describe("merge (window.consent.update)", () => {
  const n = withServices();
  const base = currentChoices(n, null);

  test("a category named decides its services", () => {
    const c = decide(n, "api", merge(n, base, { third_party: true }));
    assert.equal(c.analytics && c.video && c.third_party, true);
  });

  test("a service named changes only itself", () => {
    const granted = decide(n, "accept_all");
    const c = decide(n, "api", merge(n, granted, { video: false }));
    assert.deepEqual(
      [c.analytics, c.video, c.third_party, c.persistent],
      [true, false, false, true],
    );
  });

  test("a category and one of its services: the service wins for itself", () => {
    const c = decide(
      n,
      "api",
      merge(n, base, { third_party: true, video: false }),
    );
    assert.deepEqual(
      [c.analytics, c.video, c.third_party],
      [true, false, false],
    );
  });
});

describe("has (gating and window.consent.has)", () => {
  const n = withServices();
  const rec = makeRecord(
    n,
    decide(n, "custom", { analytics: true }),
    "r",
    "s",
    NOW,
  );

  test("a service follows its own grant", () => {
    assert.equal(has(rec, n, "analytics"), true);
    assert.equal(has(rec, n, "video"), false);
    assert.equal(has(rec, n, "third_party"), false);
    assert.equal(has(null, n, "analytics"), false);
  });

  test("services of a required category are always on; unknown ids never", () => {
    const m = withServices();
    m.categories[0].services = [{ id: "login", name: "Login" }];
    assert.equal(has(null, m, "login"), true);
    assert.equal(has(rec, n, "matomo"), false);
  });
});

describe("withdrawal and Consent Mode of services", () => {
  const n = withServices();
  const all = makeRecord(n, decide(n, "accept_all"), "a", "s", NOW);
  const noVideo = makeRecord(
    n,
    decide(n, "custom", { persistent: true, analytics: true }),
    "b",
    "s",
    NOW,
  );

  test("taking one service back withdraws it and its category, not the other service", () => {
    assert.deepEqual(withdrawn(all, noVideo, "custom"), [
      "third_party",
      "video",
    ]);
    const gone = withdrawn(all, noVideo, "custom");
    const cleared = cookiesToClear(
      items(n).filter((x) => gone.includes(x.id)),
      ["vid", "_pk_id.1", "prefs"],
    );
    assert.deepEqual(cleared, ["vid"]);
  });

  test("a service's Consent Mode types follow its own consent", () => {
    assert.deepEqual(modeState(n, decide(n, "custom", { analytics: true })), {
      functionality_storage: "denied",
      analytics_storage: "granted",
      ad_storage: "denied",
    });
    assert.deepEqual(modeState(n, decide(n, "accept_all")), {
      functionality_storage: "granted",
      analytics_storage: "granted",
      ad_storage: "granted",
    });
  });
});
