import assert from "node:assert/strict";
import { test } from "node:test";

import { ImagiorError, Imagior, signedUrl, verifyWebhook } from "../src/index.js";
import { backoffDelay, parseRetryAfter } from "../src/client.js";
import { flatParameters } from "../src/signed.js";

test("backoff grows exponentially with jitter and stays under its cap", () => {
  for (let attempt = 0; attempt < 8; attempt++) {
    const ceiling = Math.min(8000, 500 * 2 ** attempt);
    const delays = Array.from({ length: 50 }, () => backoffDelay(attempt));
    assert.ok(delays.every((d) => d >= ceiling / 2 && d <= ceiling));
    assert.ok(new Set(delays).size > 1, "no jitter");
  }
});

test("Retry-After is read as seconds or as an HTTP date", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter(null), undefined);
  const now = Date.parse("2026-12-08T00:00:00Z");
  assert.equal(parseRetryAfter("Tue, 08 Dec 2026 00:00:05 GMT", now), 5000);
});

test("the three modification shapes flatten to the same query parameters", () => {
  const flat = [["title.text", "Hi"], ["title.color", "#fff"]];
  assert.deepEqual(flatParameters([{ name: "title", text: "Hi", color: "#fff" }]), flat);
  assert.deepEqual(flatParameters({ title: { text: "Hi", color: "#fff" } }), flat);
  assert.deepEqual(flatParameters({ title: "Hi", "title.color": "#fff", skipped: null }), [
    ["title", "Hi"],
    ["title.color", "#fff"],
  ]);
});

test("signedUrl sorts and encodes as the server's canonical form and signs it", async () => {
  const url = await signedUrl("https://x.test/", "tpl_1", { b: "it's (a) *b*!", a: "x y" }, "uss_secret");
  assert.match(url, /^https:\/\/x\.test\/i\/tpl_1\.png\?a=x%20y&b=it%27s%20%28a%29%20%2Ab%2A%21&sig=[0-9a-f]{64}$/);
  await assert.rejects(signedUrl("https://x.test", "tpl_1", {}, "uss_secret", "gif"), TypeError);
});

test("verifyWebhook refuses a delivery without its headers", async () => {
  await assert.rejects(verifyWebhook("{}", {}, "whsec_AAAA"), /header is missing/);
});

test("a client needs a key", () => {
  const saved = process.env.IMAGIOR_API_KEY;
  delete process.env.IMAGIOR_API_KEY;
  try {
    assert.throws(() => new Imagior({ baseUrl: "https://x.test" }), ImagiorError);
  } finally {
    if (saved !== undefined) process.env.IMAGIOR_API_KEY = saved;
  }
});
