import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { safeUrl, validateConfig } from "../../banner-js/src/config.js";
import { notice } from "./helpers.mjs";

const raw = (over = {}) => ({
  site: "default",
  banner_build: "f".repeat(64),
  default_language: "en",
  languages: ["en", "de"],
  floating_button: true,
  notices: { en: notice(), de: notice({ language: "de" }) },
  ...over,
});

describe("validateConfig", () => {
  test("a good config passes, languages come from the notices present", () => {
    const c = validateConfig(raw({ languages: ["en", "de", "fr"] }));
    assert.equal(c.site, "default");
    assert.deepEqual(c.languages, ["en", "de"]);
    assert.equal(c.floating_button, true);
  });

  test("defaults", () => {
    const c = validateConfig({ site: "default", notices: { en: notice() } });
    assert.equal(c.default_language, "en");
    assert.equal(c.banner_build, "");
    assert.equal(c.floating_button, true);
    assert.equal(
      validateConfig(raw({ floating_button: false })).floating_button,
      false,
    );
  });

  test("unusable configs give null", () => {
    for (const bad of [
      null,
      "x",
      [],
      {},
      { site: "default" },
      raw({ notices: {} }),
      raw({ site: 3 }),
    ]) {
      assert.equal(validateConfig(bad), null, JSON.stringify(bad));
    }
  });

  test("malformed notices and notices of another site are dropped", () => {
    const c = validateConfig(
      raw({
        notices: {
          en: notice(),
          de: { ...notice(), categories: "x" },
          fr: notice({ site: "other" }),
          nl: { ...notice(), policy_version: undefined },
        },
      }),
    );
    assert.deepEqual(c.languages, ["en"]);
  });

  test("a notice without every first-layer string is not used: the banner has none of its own", () => {
    const texts = notice().texts;
    delete texts.acceptAll;
    const c = validateConfig(
      raw({
        notices: {
          en: notice(),
          de: notice({ texts }),
          fr: notice({ texts: undefined }),
          nl: notice({ texts: { ...texts, acceptAll: 3 } }),
        },
      }),
    );
    assert.deepEqual(c.languages, ["en"]);
    assert.equal(
      validateConfig(raw({ notices: { en: notice({ texts }) } })),
      null,
    );
  });
});

describe("safeUrl", () => {
  test("http(s) only", () => {
    assert.equal(
      safeUrl("https://example.com/privacy"),
      "https://example.com/privacy",
    );
    assert.equal(safeUrl("http://example.com/"), "http://example.com/");
    assert.equal(safeUrl("javascript:alert(1)"), null);
    assert.equal(safeUrl("data:text/html,x"), null);
    assert.equal(safeUrl(null), null);
    assert.equal(safeUrl(""), null);
    assert.equal(safeUrl({ href: "https://x" }), null);
  });

  test("relative URLs against a base", () => {
    assert.equal(
      safeUrl("/privacy", "https://example.com/a/b"),
      "https://example.com/privacy",
    );
    assert.equal(safeUrl("/privacy"), null);
  });
});
