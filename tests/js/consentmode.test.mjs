import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import { consentMode, modeState } from "../../banner-js/src/consentmode.js";
import { notice } from "./helpers.mjs";

describe("modeState", () => {
  test("maps categories to Consent Mode types", () => {
    assert.deepEqual(
      modeState(notice(), {
        session: true,
        persistent: true,
        third_party: false,
      }),
      {
        functionality_storage: "granted",
        analytics_storage: "denied",
        ad_storage: "denied",
        ad_user_data: "denied",
        ad_personalization: "denied",
      },
    );
  });

  test("a type mapped by two categories is granted only if both are on", () => {
    const n = notice();
    n.categories[1].consent_mode = ["analytics_storage"];
    assert.equal(
      modeState(n, { persistent: true, third_party: false }).analytics_storage,
      "denied",
    );
    assert.equal(
      modeState(n, { persistent: false, third_party: true }).analytics_storage,
      "denied",
    );
    assert.equal(
      modeState(n, { persistent: true, third_party: true }).analytics_storage,
      "granted",
    );
  });
});

describe("consentMode", () => {
  beforeEach(() => {
    globalThis.window = {};
  });
  afterEach(() => {
    delete globalThis.window;
  });

  test("default pushes a real gtag arguments object, everything denied", () => {
    consentMode("default", notice(), {});
    const [entry] = globalThis.window.dataLayer;
    assert.equal(Object.prototype.toString.call(entry), "[object Arguments]");
    assert.equal(entry[0], "consent");
    assert.equal(entry[1], "default");
    assert.equal(entry[2].analytics_storage, "denied");
    assert.equal(entry[2].functionality_storage, "denied");
    assert.equal(entry[2].wait_for_update, 500);
  });

  test("update follows the choices, after the default", () => {
    consentMode("default", notice(), {});
    consentMode("update", notice(), {
      session: true,
      persistent: true,
      third_party: true,
    });
    assert.equal(globalThis.window.dataLayer.length, 2);
    assert.equal(globalThis.window.dataLayer[1][1], "update");
    assert.equal(globalThis.window.dataLayer[1][2].ad_storage, "granted");
    assert.equal("wait_for_update" in globalThis.window.dataLayer[1][2], false);
  });

  test("the page's own gtag is used, not replaced", () => {
    const calls = [];
    globalThis.window.gtag = (...a) => calls.push(a);
    consentMode("default", notice(), {});
    assert.equal(calls.length, 1);
    assert.equal(calls[0][1], "default");
  });

  test("nothing happens when no category maps a type", () => {
    const n = notice();
    for (const c of n.categories) c.consent_mode = [];
    consentMode("default", n, {});
    assert.equal(globalThis.window.dataLayer, undefined);
  });
});
