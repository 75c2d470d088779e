import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  current,
  currentChoices,
  decide,
  decisionBody,
  fromToken,
  has,
  isStale,
  makeRecord,
  withdrawn,
} from "../../banner-js/src/state.js";
import { NOW, notice, payload } from "./helpers.mjs";

const record = (over = {}) => ({
  ...fromToken({ ...payload(), iat: NOW - 10 }),
  ...over,
});

describe("isStale", () => {
  test("a matching, unexpired record that covers every category is valid", () => {
    assert.equal(isStale(record(), notice(), NOW), false);
  });

  test("no record is stale", () => {
    assert.equal(isStale(null, notice(), NOW), true);
  });

  test("expired", () => {
    assert.equal(isStale(record({ expires: NOW }), notice(), NOW), true);
    assert.equal(isStale(record({ expires: NOW - 1 }), notice(), NOW), true);
  });

  test("made under another policy version", () => {
    assert.equal(
      isStale(record({ policy_version: "2025-06" }), notice(), NOW),
      true,
    );
  });

  test("for another site", () => {
    assert.equal(isStale(record({ site: "other" }), notice(), NOW), true);
  });

  test("does not cover a category the notice now has", () => {
    const n = notice();
    n.categories.push({ id: "marketing", required: false, title: "Marketing" });
    assert.equal(isStale(record(), n, NOW), true);
  });

  test("a denied category counts as covered", () => {
    assert.equal(
      isStale(
        record({ granted: ["session"], denied: ["persistent", "third_party"] }),
        notice(),
        NOW,
      ),
      false,
    );
  });
});

describe("decide (deny by default)", () => {
  test("without a decision, only required categories are on", () => {
    assert.deepEqual(currentChoices(notice(), null), {
      session: true,
      persistent: false,
      third_party: false,
    });
  });

  test("accept all grants every category", () => {
    assert.deepEqual(decide(notice(), "accept_all"), {
      session: true,
      persistent: true,
      third_party: true,
    });
  });

  test("accept all under GPC leaves the GPC categories off", () => {
    assert.deepEqual(decide(notice(), "accept_all", {}, true), {
      session: true,
      persistent: true,
      third_party: false,
    });
  });

  test("reject all keeps required on and everything else off", () => {
    assert.deepEqual(decide(notice(), "reject_all"), {
      session: true,
      persistent: false,
      third_party: false,
    });
  });

  test("custom takes exactly what was switched on", () => {
    assert.deepEqual(decide(notice(), "custom", { third_party: true }), {
      session: true,
      persistent: false,
      third_party: true,
    });
  });

  test("custom under GPC may still switch a GPC category on explicitly", () => {
    assert.equal(
      decide(notice(), "custom", { third_party: true }, true).third_party,
      true,
    );
  });

  test("required categories are forced on, unknown ones ignored", () => {
    const c = decide(notice(), "custom", {
      session: false,
      persistent: "yes",
      bogus: true,
    });
    assert.deepEqual(c, {
      session: true,
      persistent: false,
      third_party: false,
    });
  });
});

describe("decide: what the server accepts for each method", () => {
  // The server refuses an accept_all that does not grant every optional category but those
  // the GPC signal turns off, and a reject_all that grants one.
  for (const gpcCategories of [
    [],
    ["third_party"],
    ["persistent", "third_party"],
    ["session"],
  ])
    for (const gpc of [false, true])
      test(`accept_all and reject_all, gpc=${gpc}, gpc_categories=${gpcCategories}`, () => {
        const n = notice({ gpc_categories: gpcCategories });
        const off = gpc ? gpcCategories : [];
        const accepted = decide(n, "accept_all", {}, gpc);
        const rejected = decide(n, "reject_all", {}, gpc);
        for (const c of n.categories) {
          const want = c.required || !off.includes(c.id);
          assert.equal(accepted[c.id], want, `accept_all ${c.id}`);
          assert.equal(rejected[c.id], !!c.required, `reject_all ${c.id}`);
        }
      });
});

describe("decisionBody", () => {
  const ctx = { language: "de", banner_build: "b".repeat(64), gpc: false };
  const body = (method, layer, activation) => {
    const n = notice();
    const choices = decide(n, method, {}, false);
    const rec = makeRecord(n, choices, "rcpt-9", "subj-9", NOW);
    return decisionBody(n, rec, choices, method, layer, { ...ctx, activation });
  };

  test("names the receipt, subject, notice and every category", () => {
    assert.deepEqual(body("reject_all", "first", undefined), {
      id: "rcpt-9",
      subject: "subj-9",
      notice: "a".repeat(64),
      choices: { session: true, persistent: false, third_party: false },
      language: "de",
      method: "reject_all",
      layer: "first",
      banner_build: "b".repeat(64),
      gpc: false,
    });
  });

  test("page code (layer api) says whether there was a user gesture", () => {
    assert.equal(body("accept_all", "api", true).user_activation, true);
    assert.equal(body("reject_all", "api", false).user_activation, false);
  });

  test("user_activation is left out where the browser cannot tell", () => {
    assert.equal(
      "user_activation" in body("accept_all", "api", undefined),
      false,
    );
  });

  test("the banner's own buttons send no user_activation", () => {
    for (const layer of ["first", "preferences"])
      assert.equal("user_activation" in body("accept_all", layer, true), false);
  });
});

describe("makeRecord", () => {
  test("lists granted and denied categories and is pending", () => {
    const r = makeRecord(
      notice(),
      decide(notice(), "custom", { persistent: true }),
      "id-1",
      "subj",
      NOW,
    );
    assert.deepEqual(r.granted, ["session", "persistent"]);
    assert.deepEqual(r.denied, ["third_party"]);
    assert.equal(r.pending, true);
    assert.equal(r.receipt, "id-1");
    assert.equal(r.policy_version, "2026-01");
    assert.equal(r.expires, NOW + 365 * 86400);
    assert.equal(isStale(r, notice(), NOW), false);
  });

  test("a refusal gets the refusal validity", () => {
    const r = makeRecord(
      notice(),
      decide(notice(), "reject_all"),
      "id-2",
      "subj",
      NOW,
    );
    assert.equal(r.expires, NOW + 180 * 86400);
  });
});

describe("has", () => {
  test("required categories are on even without a decision", () => {
    assert.equal(has(null, notice(), "session"), true);
    assert.equal(has(null, notice(), "persistent"), false);
  });

  test("optional categories follow the record; unknown ones are off", () => {
    assert.equal(has(record(), notice(), "persistent"), true);
    assert.equal(has(record(), notice(), "third_party"), false);
    assert.equal(has(record({ granted: ["nope"] }), notice(), "nope"), false);
  });
});

describe("withdrawn", () => {
  const n = notice();
  const all = makeRecord(n, decide(n, "accept_all"), "a", "s", NOW);
  const none = makeRecord(n, decide(n, "reject_all"), "b", "s", NOW);
  const some = makeRecord(
    n,
    decide(n, "custom", { persistent: true }),
    "c",
    "s",
    NOW,
  );

  test("categories granted before and denied now", () => {
    assert.deepEqual(withdrawn(all, some, "custom"), ["third_party"]);
  });

  test("nothing when nothing was taken back", () => {
    assert.deepEqual(withdrawn(some, all, "accept_all"), []);
    assert.deepEqual(withdrawn(null, some, "custom"), []);
  });

  test("reject all clears every denied category", () => {
    assert.deepEqual(withdrawn(null, none, "reject_all"), [
      "persistent",
      "third_party",
    ]);
  });
});

describe("current (decision on page load)", () => {
  const n = notice();
  const queued = (at) => ({
    site: "default",
    record: makeRecord(n, decide(n, "reject_all"), "queued-id", "subj-1", at),
    body: { id: "queued-id", subject: "subj-1" },
  });

  test("the cookie alone", () => {
    assert.equal(current(record(), null, n, NOW).receipt, "rcpt-1");
  });

  test("a queued decision counts when there is no cookie, as pending", () => {
    const r = current(null, queued(NOW - 5), n, NOW);
    assert.equal(r.receipt, "queued-id");
    assert.equal(r.pending, true);
  });

  test("a queued decision newer than the cookie wins", () => {
    assert.equal(
      current(record({ at: NOW - 100 }), queued(NOW - 5), n, NOW).receipt,
      "queued-id",
    );
  });

  test("a cookie newer than the queued decision wins", () => {
    assert.equal(
      current(record({ at: NOW - 1 }), queued(NOW - 50), n, NOW).receipt,
      "rcpt-1",
    );
  });

  test("stale results give null (banner again)", () => {
    assert.equal(
      current(record({ policy_version: "old" }), null, n, NOW),
      null,
    );
    assert.equal(current(null, null, n, NOW), null);
  });
});
