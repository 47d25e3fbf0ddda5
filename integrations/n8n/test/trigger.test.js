// The Imagior Trigger against a real Imagior server: its webhook methods make and
// remove real subscriptions, and a real delivery (sent by the server to a local
// HTTP endpoint standing where n8n's webhook URL would be) goes through webhook().
'use strict';

const assert = require('node:assert/strict');
const http = require('node:http');
const { test } = require('node:test');

const { hookContext, load, webhookContext } = require('./n8n-runtime');

const { ImagiorTrigger } = load('nodes/ImagiorTrigger/ImagiorTrigger.node.js');
const BASE_URL = process.env.IMAGIOR_BASE_URL;
const LIVE_KEY = process.env.IMAGIOR_API_KEY;
const TEST_KEY = process.env.IMAGIOR_TEST_KEY;
const TEMPLATE = process.env.IMAGIOR_TEMPLATE;
// Subscribing and unsubscribing cost nothing: a live key (the sandbox's request
// budget is smaller). The delivery test renders: a test key, whose subscriptions
// hear its sandbox renders, which cost nothing.
const live = { apiKey: LIVE_KEY, baseUrl: BASE_URL };
const sandbox = { apiKey: TEST_KEY, baseUrl: BASE_URL };

async function api(method, path, body, key = LIVE_KEY) {
	const answer = await fetch(`${BASE_URL}${path}`, {
		method,
		headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: answer.status, body: answer.status === 204 ? null : await answer.json() };
}

/** A local endpoint that records every request it gets, raw body included. */
async function endpoint() {
	const received = [];
	const waiting = [];
	const server = http.createServer((request, response) => {
		const chunks = [];
		request.on('data', (chunk) => chunks.push(chunk));
		request.on('end', () => {
			received.push({ path: request.url, headers: request.headers, rawBody: Buffer.concat(chunks) });
			response.writeHead(200).end('ok');
			for (const wake of waiting.splice(0)) wake();
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${server.address().port}`;
	async function next(predicate, timeoutMs = 60_000) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const found = received.find(predicate);
			if (found) return found;
			const left = deadline - Date.now();
			if (left <= 0) throw new Error(`no matching delivery within ${timeoutMs} ms (${received.length} received)`);
			await new Promise((resolve) => {
				waiting.push(resolve);
				setTimeout(resolve, Math.min(left, 1000));
			});
		}
	}
	return { url, next, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('activation subscribes, checkExists finds it, deactivation unsubscribes', async () => {
	const trigger = new ImagiorTrigger();
	const hooks = trigger.webhookMethods.default;
	const staticData = {};
	const webhookUrl = 'http://127.0.0.1:9/webhook/activation-test';
	const context = hookContext(trigger, { credentials: live, webhookUrl, staticData, parameters: {} });

	assert.equal(await hooks.checkExists.call(context), false);
	assert.equal(await hooks.create.call(context), true);
	assert.match(staticData.webhookId, /^whk_/);
	assert.match(staticData.secret, /^whsec_/);

	const listed = await api('GET', '/api/v1/webhooks?limit=100');
	const mine = listed.body.results.filter((subscription) => subscription.url === webhookUrl);
	assert.deepEqual(
		mine.map((s) => [s.id, s.events, s.mode]),
		[[staticData.webhookId, ['image.completed'], 'live']],
	);
	assert.equal(await hooks.checkExists.call(context), true);

	const id = staticData.webhookId;
	assert.equal(await hooks.delete.call(context), true);
	assert.equal(staticData.webhookId, undefined);
	assert.equal((await api('GET', `/api/v1/webhooks/${id}`)).status, 404);
	assert.equal(await hooks.checkExists.call(context), false);
});

test('a subscription removed outside n8n is noticed and made again', async () => {
	const trigger = new ImagiorTrigger();
	const hooks = trigger.webhookMethods.default;
	const staticData = {};
	const webhookUrl = 'http://127.0.0.1:9/webhook/removed-elsewhere';
	const context = hookContext(trigger, { credentials: live, webhookUrl, staticData, parameters: { events: ['image.failed', 'image.completed'] } });
	await hooks.create.call(context);
	const first = staticData.webhookId;
	assert.deepEqual((await api('GET', `/api/v1/webhooks/${first}`)).body.events.sort(), ['image.completed', 'image.failed']);
	assert.equal((await api('DELETE', `/api/v1/webhooks/${first}`)).status, 204);

	assert.equal(await hooks.checkExists.call(context), false);
	assert.equal(staticData.webhookId, undefined);
	await hooks.create.call(context);
	assert.notEqual(staticData.webhookId, first);
	assert.equal((await api('GET', `/api/v1/webhooks/${staticData.webhookId}`)).status, 200);
	await hooks.delete.call(context);
});

test('a subscription for other events is removed and replaced when the trigger changes', async () => {
	const trigger = new ImagiorTrigger();
	const hooks = trigger.webhookMethods.default;
	const staticData = {};
	const webhookUrl = 'http://127.0.0.1:9/webhook/events-changed';
	const before = hookContext(trigger, { credentials: live, webhookUrl, staticData, parameters: { events: ['image.completed'] } });
	await hooks.create.call(before);
	const old = staticData.webhookId;

	const after = hookContext(trigger, { credentials: live, webhookUrl, staticData, parameters: { events: ['image.failed'] } });
	assert.equal(await hooks.checkExists.call(after), false);
	assert.equal((await api('GET', `/api/v1/webhooks/${old}`)).status, 404);
	await hooks.create.call(after);
	assert.deepEqual((await api('GET', `/api/v1/webhooks/${staticData.webhookId}`)).body.events, ['image.failed']);
	assert.equal(await hooks.checkExists.call(after), true);
	await hooks.delete.call(after);
});

test("a real image.completed delivery comes out of webhook() as the workflow's item; a forged one is refused", async () => {
	const receiver = await endpoint();
	const trigger = new ImagiorTrigger();
	const hooks = trigger.webhookMethods.default;
	const staticData = {};
	const webhookUrl = `${receiver.url}/webhook/imagior`;
	const hookThis = hookContext(trigger, { credentials: sandbox, webhookUrl, staticData, parameters: {} });
	try {
		await hooks.create.call(hookThis);
		const render = await api(
			'POST',
			'/api/v1/images',
			{ template: TEMPLATE, modifications: { title: 'Delivered to n8n' } },
			TEST_KEY,
		);
		assert.equal(render.status, 201, JSON.stringify(render.body));
		const delivery = await receiver.next(
			(request) => JSON.parse(request.rawBody.toString('utf8')).data?.id === render.body.id,
		);
		assert.equal(delivery.path, '/webhook/imagior');

		const context = webhookContext(trigger, { credentials: sandbox, staticData, parameters: {}, request: delivery });
		const answer = await trigger.webhook.call(context);
		assert.equal(answer.workflowData.length, 1);
		const [item] = answer.workflowData[0];
		assert.equal(item.json.type, 'image.completed');
		assert.equal(item.json.data.id, render.body.id);
		assert.equal(item.json.data.status, 'completed');
		assert.equal(item.json.data.url, render.body.url);
		assert.equal(context.response.statusCode, 200);

		// The same signature over another body: refused with 401, nothing starts.
		const forgedBody = Buffer.from(delivery.rawBody.toString('utf8').replace('Delivered to n8n', 'Forged by someone'));
		const forged = webhookContext(trigger, {
			credentials: sandbox,
			staticData,
			parameters: {},
			request: { ...delivery, rawBody: forgedBody },
		});
		const refused = await trigger.webhook.call(forged);
		assert.equal(refused.workflowData, undefined);
		assert.equal(refused.noWebhookResponse, true);
		assert.equal(forged.response.statusCode, 401);

		// Without the secret create() kept (static data lost), nothing is let through.
		const unknown = webhookContext(trigger, { credentials: sandbox, staticData: {}, parameters: {}, request: delivery });
		assert.equal((await trigger.webhook.call(unknown)).workflowData, undefined);
		assert.equal(unknown.response.statusCode, 401);
	} finally {
		await hooks.delete.call(hookThis);
		await receiver.close();
	}
	assert.equal(staticData.webhookId, undefined);
});
