'use strict';

// The REST hook end to end: subscribe with a hook address Imagior can reach
// (a listener on loopback here, Zapier's in production), render, receive the
// real signed delivery, hand it to perform, unsubscribe; then Find image.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { test, before, after } = require('node:test');

const { App, appTester, authData, api, env, report } = require('./support');

const trigger = App.triggers.image_completed.operation;
const deliveries = [];
let listener;
let targetUrl;

before(async () => {
  listener = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({ path: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end('{"status": "success"}');
    });
  });
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${listener.address().port}/hooks/catch/123/abc/`;
});

after(() => listener.close());

const waitFor = async (predicate, seconds) => {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const found = predicate();
    if (found) {
      return found;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return null;
};

// Standard Webhooks: v1,base64(HMAC-SHA256(base64-decoded secret, "id.timestamp.body")).
const signatureIsValid = (delivery, secret) => {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = `${delivery.headers['webhook-id']}.${delivery.headers['webhook-timestamp']}.${delivery.body}`;
  const expected = crypto.createHmac('sha256', key).update(signed).digest('base64');
  return delivery.headers['webhook-signature'].split(' ').includes(`v1,${expected}`);
};

test('subscribe, a real delivery through perform, unsubscribe, find', async () => {
  const subscription = await appTester(trigger.performSubscribe, {
    authData: authData(),
    targetUrl,
    inputData: {},
  });
  assert.match(subscription.id, /^whk_/);
  assert.deepEqual(subscription.events, ['image.completed']);
  assert.equal(subscription.mode, 'live');

  const stored = await api(`/api/v1/webhooks/${subscription.id}`);
  assert.equal(stored.status, 200);
  assert.equal(stored.body.url, targetUrl);
  assert.deepEqual(stored.body.events, ['image.completed']);
  report({ subscription: subscription.id });

  const rendered = await api('/api/v1/images', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ template: env('IMAGIOR_TEMPLATE'), modifications: { title: 'Hello, hook' } }),
  });
  assert.equal(rendered.status, 201);
  const imageId = rendered.body.id;

  const delivery = await waitFor(
    () => deliveries.find((d) => d.body.includes(imageId)),
    45,
  );
  assert.ok(delivery, `no delivery for ${imageId} within 45 s (got ${deliveries.length})`);
  assert.equal(delivery.path, '/hooks/catch/123/abc/');
  assert.ok(signatureIsValid(delivery, subscription.secret), 'bad webhook signature');

  // What Zapier hands perform: the parsed JSON body as cleanedRequest.
  const results = await appTester(trigger.perform, {
    authData: authData(),
    targetUrl,
    subscribeData: subscription,
    cleanedRequest: JSON.parse(delivery.body),
    rawRequest: { method: 'POST', headers: delivery.headers, content: delivery.body },
  });
  assert.equal(results.length, 1);
  assert.equal(results[0].id, imageId);
  assert.equal(results[0].status, 'completed');
  assert.equal(results[0].url, rendered.body.url);

  // Another event type reaching the same hook starts nothing.
  const other = await appTester(trigger.perform, {
    authData: authData(),
    cleanedRequest: { type: 'image.failed', created_at: 'now', data: { ...results[0], status: 'failed' } },
  });
  assert.deepEqual(other, []);

  // "Test trigger" in the editor: the newest finished images, this one first.
  const listed = await appTester(trigger.performList, { authData: authData(), meta: { isLoadingSample: true } });
  assert.equal(listed[0].id, imageId);
  assert.ok(listed.every((image) => image.status === 'completed'));

  const removed = await appTester(trigger.performUnsubscribe, {
    authData: authData(),
    targetUrl,
    subscribeData: subscription,
  });
  assert.deepEqual(removed, { id: subscription.id, removed: true });
  assert.equal((await api(`/api/v1/webhooks/${subscription.id}`)).status, 404);

  // Unsubscribing again (the user deleted it in the dashboard) still succeeds.
  const again = await appTester(trigger.performUnsubscribe, { authData: authData(), subscribeData: subscription });
  assert.deepEqual(again, { id: subscription.id, removed: false });

  const found = await appTester(App.searches.find_image.operation.perform, {
    authData: authData(),
    inputData: { id: imageId },
  });
  assert.equal(found.length, 1);
  assert.equal(found[0].id, imageId);
  assert.equal(found[0].url, rendered.body.url);

  const missing = await appTester(App.searches.find_image.operation.perform, {
    authData: authData(),
    inputData: { id: 'img_doesNotExist000000000' },
  });
  assert.deepEqual(missing, []);
  const blank = await appTester(App.searches.find_image.operation.perform, { authData: authData(), inputData: { id: ' ' } });
  assert.deepEqual(blank, []);
  report({ hooked: imageId });
});
