import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";

import { getNotice } from "../../banner-js/src/api.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Stub fetch: record each URL asked for and answer `body` (or fail). */
function stub(body, fail = false) {
  const asked = [];
  globalThis.fetch = async (url, init) => {
    asked.push({ url: String(url), init });
    if (fail) throw new TypeError("network");
    return { json: async () => body };
  };
  return asked;
}

describe("getNotice: the page language's first layer, or the whole notice", () => {
  const origin = "https://consent.example";

  test("the page-language fetch asks for the first layer only", async () => {
    const asked = stub({ language: "de" });
    const n = await getNotice(
      origin,
      "default",
      "de",
      "0123456789abcdef",
      true,
    );
    assert.deepEqual(n, { language: "de" });
    assert.equal(
      asked[0].url,
      "https://consent.example/v1/sites/default/notice?lang=de&v=0123456789abcdef&part=first",
    );
    assert.equal(asked[0].init.credentials, "omit");
  });

  test("the preferences' fetch asks for the whole notice", async () => {
    const asked = stub({});
    await getNotice(origin, "my site", "pt", "0123456789abcdef");
    assert.equal(
      asked[0].url,
      "https://consent.example/v1/sites/my%20site/notice?lang=pt&v=0123456789abcdef",
    );
  });

  test("a failure is null, never a throw", async () => {
    stub(null, true);
    assert.equal(await getNotice(origin, "default", "de", "", true), null);
  });
});
