import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { test } from "node:test";

import {
  AuthenticationError,
  ConflictError,
  Imagior,
  ImagiorError,
  NotFoundError,
  ValidationError,
  WebhookVerificationError,
  signedUrl,
  verifyWebhook,
} from "../src/index.js";
import { BASE_URL, LIVE_KEY, TEMPLATE, TEST_KEY, pngSize, skip } from "./env.js";

const live = () => new Imagior({ apiKey: LIVE_KEY, baseUrl: BASE_URL });
const sandbox = () => new Imagior({ apiKey: TEST_KEY, baseUrl: BASE_URL });

test("a render answers a completed image whose file is a PNG of its size", { skip }, async () => {
  const client = live();
  const image = await client.images.create({ template: TEMPLATE, modifications: { title: "Hello from Node" } });
  assert.equal(image.status, "completed");
  assert.match(image.id, /^img_/);
  assert.equal(image.credits_used, 1);
  assert.equal(image.sandbox, false);
  const bytes = await client.images.download(image);
  assert.deepEqual(pngSize(bytes), { width: image.width, height: image.height });
  assert.deepEqual(await client.images.get(image.id), image);
});

test("wait: true queues the render and polls until it is completed", { skip }, async () => {
  const image = await sandbox().images.create({
    template: TEMPLATE,
    modifications: [{ name: "title", text: "Waited for" }],
    format: "png",
    wait: true,
    pollInterval: 200,
  });
  assert.equal(image.status, "completed");
  assert.equal(image.sandbox, true);
  assert.deepEqual(pngSize(await sandbox().images.download(image)), { width: image.width, height: image.height });
});

test("the server's problems become error classes with status, code and request id", { skip }, async () => {
  const missing = await live().images.get("img_doesnotexist").catch((error) => error);
  assert.ok(missing instanceof NotFoundError && missing instanceof ImagiorError);
  assert.equal(missing.status, 404);
  assert.equal(missing.code, "not_found");
  assert.match(missing.requestId, /^req_/);

  const unknown = await live()
    .images.create({ template: TEMPLATE, modifications: { titel: "typo" } })
    .catch((error) => error);
  assert.ok(unknown instanceof ValidationError);
  assert.equal(unknown.status, 400);
  assert.equal(unknown.code, "unknown_element");
  assert.match(unknown.message, /title/);
  assert.equal(unknown.errors[0].code, "unknown_element");

  const wrongKey = await new Imagior({ apiKey: "imk_live_wrong", baseUrl: BASE_URL, maxRetries: 0 }).account
    .get()
    .catch((error) => error);
  assert.ok(wrongKey instanceof AuthenticationError);
  assert.equal(wrongKey.status, 401);
  assert.equal(wrongKey.code, "invalid_api_key");
});

test("a signed URL made by signedUrl is served by the server as the image", { skip }, async () => {
  const client = live();
  const account = await client.account.get();
  const secret = account.secrets.url_signing;
  const modifications = { title: "Ünïcode ✓ — it's (quite) *fine*! 100% & more", "title.color": "#ff0000" };
  const url = await signedUrl(BASE_URL, TEMPLATE, modifications, secret);
  const answer = await fetch(url);
  assert.equal(answer.status, 200, await answer.clone().text());
  assert.equal(answer.headers.get("content-type"), "image/png");
  assert.deepEqual(pngSize(new Uint8Array(await answer.arrayBuffer())), { width: 1200, height: 630 });

  const listed = [{ name: "title", text: "Listed", color: "#00ff00" }];
  const webp = await fetch(await signedUrl(BASE_URL, TEMPLATE, listed, secret, "webp"));
  assert.equal(webp.status, 200, await webp.clone().text());
  assert.equal(webp.headers.get("content-type"), "image/webp");

  const forged = url.replace("title.color=%23ff0000", "title.color=%23000000");
  const refused = await fetch(forged);
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).code, "invalid_signature");
});

test("verifyWebhook accepts the server's real delivery and refuses a changed one", { skip }, async () => {
  const deliveries = [];
  const receiver = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      deliveries.push({ body: Buffer.concat(chunks), headers: request.headers });
      response.end("ok");
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const client = sandbox();
  const subscription = await client.webhooks.create({
    url: `http://127.0.0.1:${receiver.address().port}/hook`,
    events: ["image.completed"],
  });
  try {
    assert.match(subscription.secret, /^whsec_/);
    const image = await client.images.create({ template: TEMPLATE, modifications: { title: "Hooked" } });
    const deadline = Date.now() + 30_000;
    while (!deliveries.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(deliveries.length, 1, "no delivery arrived");
    const { body, headers } = deliveries[0];

    const event = await verifyWebhook(body, headers, subscription.secret);
    assert.equal(event.type, "image.completed");
    assert.equal(event.data.id, image.id);
    assert.deepEqual(await verifyWebhook(body.toString("utf8"), new Headers(headers), subscription.secret), event);

    const changed = body.toString("utf8").replace(image.id, "img_somethingelse");
    await assert.rejects(verifyWebhook(changed, headers, subscription.secret), WebhookVerificationError);
    const otherSecret = `whsec_${Buffer.from("another secret of 24 bytes").toString("base64")}`;
    await assert.rejects(verifyWebhook(body, headers, otherSecret), WebhookVerificationError);
    const later = Number(headers["webhook-timestamp"]) * 1000 + 3600_000;
    await assert.rejects(verifyWebhook(body, headers, subscription.secret, { now: later }), /too far/);
  } finally {
    await client.webhooks.delete(subscription.id);
    receiver.close();
  }
  await assert.rejects(client.webhooks.get(subscription.id), NotFoundError);
});

test("lists iterate across pages", { skip }, async () => {
  const client = sandbox();
  // The sandbox images of the tests above, and more if they are not enough for two pages.
  for (let n = (await client.images.list({ limit: 1 })).count; n < 3; n++) {
    await client.images.create({ template: TEMPLATE, modifications: { title: `Page item ${n}` } });
  }
  const first = await client.images.list({ limit: 2 });
  assert.equal(first.results.length, 2);
  assert.ok(first.count >= 3 && first.count_exact);
  assert.ok(first.hasNextPage());
  const second = await first.nextPage();
  assert.ok(second.results.length >= 1);
  assert.ok(second.previous);

  const seen = [];
  for await (const image of client.images.list({ limit: 2 })) seen.push(image.id);
  assert.equal(seen.length, first.count);
  assert.equal(new Set(seen).size, seen.length);
  assert.deepEqual(seen.slice(0, 2), first.results.map((image) => image.id));
});

test("account, usage, fonts and templates answer through their resources", { skip }, async () => {
  const client = live();
  const account = await client.account.get();
  assert.equal(account.key.mode, "live");
  assert.equal(typeof account.credits.balance, "number");
  const usage = await client.usage.get({ days: 2 });
  assert.equal(usage.days.length, 2);
  const fonts = await client.fonts.list();
  assert.ok(fonts.results.some((font) => font.kind === "catalogue"));
  const template = await client.templates.get(TEMPLATE);
  assert.equal(template.name, "Blog card");
  const schema = await client.templates.schema(TEMPLATE);
  assert.equal(schema["x-imagior-template"], TEMPLATE);
  const all = await client.templates.list({ limit: 1 }).toArray();
  assert.ok(all.some((t) => t.id === TEMPLATE));
});

test("templates, images and fonts change through their resources", { skip }, async () => {
  const client = live();
  const template = await client.templates.create({ name: "From the JS client", width: 200, height: 100, elements: [] });
  assert.match(template.id, /^tpl_/);
  const renamed = await client.templates.update(template.id, { name: "Renamed" }, { ifMatch: template.version });
  assert.equal(renamed.name, "Renamed");
  const stale = await client.templates
    .update(template.id, { name: "Lost update" }, { ifMatch: template.version })
    .catch((error) => error);
  assert.ok(stale instanceof ConflictError);
  assert.equal(stale.status, 412);
  assert.equal(stale.code, "precondition_failed");
  assert.equal(await client.templates.delete(template.id), null);
  await assert.rejects(client.templates.get(template.id), NotFoundError);

  const images = sandbox();
  const original = await images.images.create({ template: TEMPLATE, modifications: { title: "Original" } });
  const edited = await images.images.edit(original.id, { modifications: { subtitle: "Edited" }, format: "jpeg" });
  assert.equal(edited.source_image, original.id);
  assert.equal(edited.format, "jpeg");
  assert.equal(edited.modifications.find((m) => m.name === "title").text, "Original");
  await images.images.delete(edited.id);
  await assert.rejects(images.images.get(edited.id), NotFoundError);

  const ttf = await readFile(new URL("../../../static/fonts/lato/Lato_400Regular.ttf", import.meta.url));
  const font = await client.fonts.upload({ file: ttf, family: "JS Client Lato", weight: 400, filename: "lato.ttf" });
  assert.equal(font.family, "JS Client Lato");
  assert.equal(font.weight, 400);
  assert.equal((await client.fonts.get(font.id)).id, font.id);
  assert.ok((await client.fonts.list()).results.some((f) => f.family === "JS Client Lato" && f.kind === "account"));
  await client.fonts.delete(font.id);
  await assert.rejects(client.fonts.get(font.id), NotFoundError);
});

test("batches render several items when the server has the batches API", { skip }, async (t) => {
  const client = sandbox();
  const probe = await client.batches.list({ limit: 1 }).catch((error) => error);
  if (probe instanceof NotFoundError) {
    t.skip("this server has no /api/v1/batches yet");
    return;
  }
  if (probe instanceof Error) throw probe;
  const batch = await client.batches.create({
    template: TEMPLATE,
    items: [{ modifications: { title: "One" } }, { modifications: { title: "Two" } }],
    wait: true,
    pollInterval: 200,
  });
  assert.equal(batch.status, "completed");
  assert.equal(batch.completed, 2);
  assert.equal(batch.images.length, 2);
});
