import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  fetchNotice,
  safeUrl,
  validateConfig,
} from "../../banner-js/src/config.js";
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
  test("a good config passes, languages: the inlined notices' and the listed ones", () => {
    const c = validateConfig(
      raw({ languages: ["en", "de", "fr", 3, null], notices_version: "v1" }),
    );
    assert.equal(c.site, "default");
    assert.deepEqual(new Set(c.languages), new Set(["en", "de", "fr"]));
    assert.equal(c.notices_version, "v1");
    assert.equal(c.floating_button, true);
    // The server inlines one notice and lists every language.
    const one = validateConfig(
      raw({ languages: ["en", "de", "pt"], notices: { de: notice() } }),
    );
    assert.deepEqual(Object.keys(one.notices), ["de"]);
    assert.deepEqual(new Set(one.languages), new Set(["de", "en", "pt"]));
    assert.deepEqual(
      new Set(validateConfig(raw({ languages: "en" })).languages),
      new Set(["en", "de"]),
      "a list that is no list is ignored",
    );
  });

  test("defaults", () => {
    const c = validateConfig({ site: "default", notices: { en: notice() } });
    assert.equal(c.default_language, "en");
    assert.equal(c.notices_version, "");
    assert.deepEqual(c.languages, ["en"]);
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
    assert.deepEqual(Object.keys(c.notices), ["en"]);
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
    assert.deepEqual(Object.keys(c.notices), ["en"]);
    assert.equal(
      validateConfig(raw({ notices: { en: notice({ texts }) } })),
      null,
    );
  });
});

describe("fetchNotice: a whole notice, of one language", () => {
  const cfg = () =>
    validateConfig(
      raw({ languages: ["en", "de", "pt"], notices: { en: notice() } }),
    );
  const german = notice({ language: "de", notice: "d".repeat(64) });

  test("it is fetched, once, and used when it is a notice of this site in that language", async () => {
    const asked = [];
    const n = await fetchNotice(cfg(), "de", async (l) => {
      asked.push(l);
      return german;
    });
    assert.deepEqual(asked, ["de"]);
    assert.equal(n, german);
  });

  test("a failed or wrong answer gives null: the inlined notice is shown", async () => {
    const texts = notice().texts;
    delete texts.title;
    for (const answer of [
      null,
      { type: "about:blank", status: 404, title: "Not Found" },
      notice({ language: "en" }), // the server's fallback, not the language asked for
      notice({ language: "de", site: "other" }),
      notice({ language: "de", texts }),
      { ...german, categories: undefined },
    ]) {
      assert.equal(
        await fetchNotice(cfg(), "de", async () => answer),
        null,
        JSON.stringify(answer)?.slice(0, 80),
      );
    }
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
