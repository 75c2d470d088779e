import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { KEYS, pickLanguage } from "../../banner-js/src/i18n.js";
import { RIGHTS } from "../../banner-js/src/ui/preferences.js";
import { serverTexts } from "./helpers.mjs";

const ALL = ["en", "de", "fr", "nl"];

describe("pickLanguage", () => {
  test("<html lang> comes first", () => {
    assert.equal(pickLanguage(ALL, ["fr", "de", "nl"]), "fr");
  });

  test("a regional tag falls back to its language: de-AT -> de", () => {
    assert.equal(pickLanguage(ALL, ["de-AT"]), "de");
    assert.equal(pickLanguage(ALL, ["nl_BE"]), "nl");
    assert.equal(pickLanguage([...ALL, "pt"], ["pt-BR", "en"]), "pt");
  });

  test("a language the site lacks falls to the next wanted one, then the site default", () => {
    // What index.js asks: <html lang>, navigator.languages, the site's default.
    assert.equal(pickLanguage(ALL, ["ja-JP", "ja", "fr"]), "fr");
    assert.equal(pickLanguage(ALL, ["ja-JP", "ja", "nl"]), "nl");
  });

  test("then navigator.languages, in order", () => {
    assert.equal(pickLanguage(ALL, ["", "es-ES", "nl-NL", "de"]), "nl");
  });

  test("then the site default, then en", () => {
    assert.equal(pickLanguage(ALL, ["ja", "es", "de"]), "de");
    assert.equal(pickLanguage(ALL, ["es"]), "en");
  });

  test("only languages with a notice count", () => {
    assert.equal(pickLanguage(["en", "fr"], ["de", "nl", "fr-CA"]), "fr");
    assert.equal(pickLanguage(["nl"], ["de"]), "nl");
  });

  test("empty and missing tags are skipped", () => {
    assert.equal(pickLanguage(ALL, [null, undefined, "", "nl"]), "nl");
    assert.equal(pickLanguage(ALL), "en");
  });

  test("case-insensitive, returns the available spelling", () => {
    assert.equal(pickLanguage(["en", "pt-BR"], ["PT-br"]), "pt-BR");
  });
});

describe("UI strings come from the notice", () => {
  test("a notice is used only with the keys of the first layer and the dialog, all the server's", () => {
    const server = Object.keys(serverTexts("en"));
    for (const key of KEYS) assert.ok(server.includes(key), key);
  });

  test("every text the UI reads is one the server puts in every notice", () => {
    const server = new Set(Object.keys(serverTexts("en")));
    const read = new Set();
    for (const file of [
      "ui/banner.js",
      "ui/preferences.js",
      "index.js",
      "gating.js",
    ]) {
      const src = readFileSync(
        new URL(`../../banner-js/src/${file}`, import.meta.url),
        "utf8",
      );
      for (const [, key] of src.matchAll(/\bt\.([a-zA-Z]+)/g)) read.add(key);
    }
    // Read through a computed key: the rights and the storage kinds.
    for (const r of RIGHTS) read.add("right" + r);
    for (const k of ["Cookie", "LocalStorage", "SessionStorage"])
      read.add("kind" + k);
    assert.ok(read.size > 40, [...read].join(" "));
    for (const key of read) assert.ok(server.has(key), key);
  });

  test("the built bundle holds no UI string of its own, in any language", () => {
    const bundle = readFileSync(
      new URL("../../static/banner.js", import.meta.url),
      "utf8",
    );
    for (const lang of ["en", "de", "fr", "nl"])
      for (const [key, text] of Object.entries(serverTexts(lang)))
        for (const q of ['"', "'", "`"])
          assert.ok(
            !bundle.includes(q + text + q),
            `static/banner.js has the ${lang} text of ${key}: ${text}`,
          );
  });
});
