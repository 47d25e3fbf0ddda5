import assert from "node:assert/strict";
import { test } from "node:test";

import { APIConnectionError, Imagior } from "../src/index.js";
import { BASE_URL, LIVE_KEY, PROXY_URL, TEMPLATE, pngSize } from "./env.js";

// The proxy (tests/clients) is told beforehand to reset the connection of the next
// render after the server has rendered and charged it: the client must retry with
// the same Idempotency-Key and get the stored answer, not a second render.
test(
  "a render whose answer is lost is retried with the same key and answered",
  { skip: PROXY_URL && LIVE_KEY && TEMPLATE ? false : "needs IMAGIOR_PROXY_URL (a dropping proxy)" },
  async () => {
    const client = new Imagior({ apiKey: LIVE_KEY, baseUrl: PROXY_URL });
    const image = await client.images.create({ template: TEMPLATE, modifications: { title: "Retried once" } });
    assert.equal(image.status, "completed");
    assert.equal(image.credits_used, 1);
    const bytes = await new Imagior({ apiKey: LIVE_KEY, baseUrl: BASE_URL }).images.download(image.id);
    assert.deepEqual(pngSize(bytes), { width: image.width, height: image.height });
  },
);

test("with no retries left a lost answer is an APIConnectionError", async () => {
  // Port 9 on loopback: nothing listens there, the connection is refused at once.
  const client = new Imagior({ apiKey: "imk_test_x", baseUrl: "http://127.0.0.1:9", maxRetries: 1 });
  const error = await client.account.get().catch((e) => e);
  assert.ok(error instanceof APIConnectionError);
  assert.equal(error.code, "connection_error");
  assert.equal(error.status, undefined);
});
