import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cookieDomains, cookiesToClear } from "../../banner-js/src/gating.js";
import { notice } from "./helpers.mjs";

describe("cookieDomains", () => {
  test("host-only, the host, then each parent domain", () => {
    assert.deepEqual(cookieDomains("a.b.example.com"), [
      "",
      "a.b.example.com",
      ".b.example.com",
      ".example.com",
    ]);
  });

  test("a two-label host", () => {
    assert.deepEqual(cookieDomains("example.com"), ["", "example.com"]);
  });

  test("localhost and IP addresses: host-only", () => {
    assert.deepEqual(cookieDomains("localhost"), [""]);
    assert.deepEqual(cookieDomains("127.0.0.1"), [""]);
    assert.deepEqual(cookieDomains("[::1]"), [""]);
  });
});

describe("cookiesToClear", () => {
  const cats = notice().categories;
  const existing = [
    "sid",
    "prefs",
    "_ga",
    "_ga_XYZ",
    "IDE",
    "consent",
    "other",
  ];

  test("first-party cookies by exact name", () => {
    assert.deepEqual(cookiesToClear([cats[1]], existing), ["prefs"]);
  });

  test("first-party cookies by pattern; third-party ones are left alone", () => {
    assert.deepEqual(cookiesToClear([cats[2]], existing).sort(), [
      "_ga",
      "_ga_XYZ",
    ]);
  });

  test("only cookies that exist", () => {
    assert.deepEqual(cookiesToClear([cats[1]], ["sid"]), []);
  });

  test("a bad pattern is skipped, not thrown", () => {
    const cat = {
      id: "x",
      cookies: [{ pattern: "([", party: "first" }, { name: "other" }],
    };
    assert.deepEqual(cookiesToClear([cat], existing), ["other"]);
  });
});
