import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  KEYS,
  pickLanguage,
  strings,
  TRANSLATIONS,
} from "../../banner-js/src/i18n.js";

const ALL = ["en", "de", "fr", "nl"];

describe("pickLanguage", () => {
  test("<html lang> comes first", () => {
    assert.equal(pickLanguage(ALL, ["fr", "de", "nl"]), "fr");
  });

  test("a regional tag falls back to its language: de-AT -> de", () => {
    assert.equal(pickLanguage(ALL, ["de-AT"]), "de");
    assert.equal(pickLanguage(ALL, ["nl_BE"]), "nl");
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

describe("strings", () => {
  test("every language lists every key, in order", () => {
    for (const [lang, list] of Object.entries(TRANSLATIONS))
      assert.equal(list.length, KEYS.length, lang);
  });

  test("the four languages are translated", () => {
    assert.equal(strings("en").rejectAll, "Reject all");
    assert.equal(strings("de").rejectAll, "Alle ablehnen");
    assert.equal(strings("fr").rejectAll, "Tout refuser");
    assert.equal(strings("nl").rejectAll, "Alles weigeren");
  });

  test("regional tags use their language", () => {
    assert.equal(strings("de-AT").acceptAll, "Alle akzeptieren");
  });

  test("missing strings and unknown languages fall back to English", () => {
    assert.equal(strings("de").cookies, "Cookies");
    assert.equal(strings("xx").save, "Save choices");
  });

  test("notice texts override, unknown keys and non-strings are ignored", () => {
    const t = strings("de", { title: "Unsere Cookies", bogus: "x", save: 42 });
    assert.equal(t.title, "Unsere Cookies");
    assert.equal(t.save, "Auswahl speichern");
    assert.equal("bogus" in t, false);
  });

  test("every key has a non-empty value in every language", () => {
    for (const lang of ["en", "de", "fr", "nl"]) {
      const t = strings(lang);
      for (const k of KEYS) assert.ok(t[k], `${lang}.${k}`);
    }
  });
});
