// The Imagior node and its credential, executed against a real Imagior server:
// IMAGIOR_BASE_URL, IMAGIOR_API_KEY (live), IMAGIOR_TEST_KEY, IMAGIOR_TEMPLATE.
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { execute, load, loadOptionsContext, testCredential } = require('./n8n-runtime');

const { Imagior } = load('nodes/Imagior/Imagior.node.js');
const BASE_URL = process.env.IMAGIOR_BASE_URL;
const LIVE_KEY = process.env.IMAGIOR_API_KEY;
const TEST_KEY = process.env.IMAGIOR_TEST_KEY;
const TEMPLATE = process.env.IMAGIOR_TEMPLATE;
const live = { apiKey: LIVE_KEY, baseUrl: `${BASE_URL}/` };

async function api(path, key = LIVE_KEY) {
	const answer = await fetch(`${BASE_URL}${path}`, { headers: { Authorization: `Bearer ${key}` } });
	assert.equal(answer.status, 200, `${path}: ${await answer.clone().text()}`);
	return answer.json();
}

function pngSize(buffer) {
	assert.deepEqual([...buffer.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
	assert.equal(buffer.subarray(12, 16).toString('latin1'), 'IHDR');
	return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
}

test('the credential test request accepts a good key and refuses a wrong one', async () => {
	const good = await testCredential(live);
	assert.equal(good.statusCode, 200);
	assert.equal(good.body.key.mode, 'live');
	const wrong = await testCredential({ apiKey: 'imk_live_wrong', baseUrl: BASE_URL });
	assert.equal(wrong.statusCode, 401);
	assert.equal(wrong.body.code, 'invalid_api_key');
});

test('the template list comes from the account', async () => {
	const node = new Imagior();
	const options = await node.methods.loadOptions.getTemplates.call(loadOptionsContext(node, { credentials: live }));
	assert.ok(options.some((option) => option.value === TEMPLATE && option.name === 'Blog card'), JSON.stringify(options));
});

test('render with key/value modifications: one credit, the PNG in binary data at the template size', async () => {
	const template = await api(`/api/v1/templates/${TEMPLATE}`);
	const before = (await api('/api/v1/account')).credits.balance;
	const node = new Imagior();
	const log = [];
	const [output] = await execute(node, {
		log,
		credentials: live,
		parameters: {
			operation: 'render',
			template: TEMPLATE,
			modificationsMode: 'keyValue',
			modificationsUi: { values: [{ key: 'title', value: 'Hello from n8n' }, { key: 'title.color', value: '#ff0000' }] },
			download: true,
			options: { metadata: '{"source": "n8n"}' },
		},
	});
	assert.equal(output.length, 1);
	const image = output[0].json;
	assert.equal(image.status, 'completed');
	assert.equal(image.template, TEMPLATE);
	assert.equal(image.sandbox, false);
	assert.equal(image.credits_used, 1);
	assert.deepEqual(image.metadata, { source: 'n8n' });
	const title = image.modifications.find((m) => m.name === 'title');
	assert.equal(title.text, 'Hello from n8n');
	assert.equal(title.color.toLowerCase(), '#ff0000');
	const file = output[0].binary.data;
	assert.equal(file.mimeType, 'image/png');
	assert.equal(file.fileName, `${image.id}.png`);
	const bytes = Buffer.from(file.data, 'base64');
	assert.deepEqual(pngSize(bytes), { width: template.width, height: template.height });
	assert.equal(bytes.length, image.file_size);
	assert.equal((await api('/api/v1/account')).credits.balance, before - 1);
	const post = log.find((entry) => entry.method === 'POST');
	assert.match(post.headers['Idempotency-Key'], /^n8n-[0-9a-f-]{36}$/);
	assert.match(post.headers.Authorization, /^Bearer imk_live_/);
	// The public image URL is fetched without the key.
	assert.equal(log.find((entry) => entry.url === image.url).headers.Authorization, undefined);
});

test('render with JSON modifications (the list shape), as JPEG at half scale, one key per item', async () => {
	const template = await api(`/api/v1/templates/${TEMPLATE}`);
	const log = [];
	const [output] = await execute(new Imagior(), {
		log,
		credentials: { apiKey: TEST_KEY, baseUrl: BASE_URL },
		items: [{ json: { n: 1 } }, { json: { n: 2 } }],
		parameters: {
			operation: 'render',
			template: TEMPLATE,
			modificationsMode: 'json',
			modificationsJson: JSON.stringify([{ name: 'title', text: 'JSON list' }]),
			options: { format: 'jpeg', scale: 0.5, quality: 70 },
		},
	});
	assert.equal(output.length, 2);
	for (const [index, item] of output.entries()) {
		assert.equal(item.json.status, 'completed');
		assert.equal(item.json.sandbox, true);
		assert.equal(item.json.format, 'jpeg');
		assert.equal(item.json.width, Math.round(template.width * 0.5));
		assert.equal(item.json.modifications.find((m) => m.name === 'title').text, 'JSON list');
		assert.deepEqual(item.pairedItem, { item: index });
	}
	const keys = log.filter((entry) => entry.method === 'POST').map((entry) => entry.headers['Idempotency-Key']);
	assert.equal(keys.length, 2);
	assert.notEqual(keys[0], keys[1]);
});

test('get image reads it back, with the file when asked', async () => {
	const credentials = { apiKey: TEST_KEY, baseUrl: BASE_URL };
	const [[rendered]] = await execute(new Imagior(), {
		credentials,
		parameters: { operation: 'render', template: TEMPLATE, modificationsUi: { values: [{ key: 'title', value: 'Read me back' }] } },
	});
	const [[fetched]] = await execute(new Imagior(), {
		credentials,
		parameters: { operation: 'get', imageId: rendered.json.id, download: true, binaryPropertyName: 'picture' },
	});
	assert.equal(fetched.json.id, rendered.json.id);
	assert.equal(fetched.json.url, rendered.json.url);
	const bytes = Buffer.from(fetched.binary.picture.data, 'base64');
	assert.deepEqual(pngSize(bytes), { width: rendered.json.width, height: rendered.json.height });
});

test("the API's problem becomes the node's error; with Continue On Fail it is an item", async () => {
	const credentials = { apiKey: TEST_KEY, baseUrl: BASE_URL };
	const parameters = {
		operation: 'render',
		template: TEMPLATE,
		modificationsMode: 'json',
		modificationsJson: '{"no_such_element": "x"}',
	};
	await assert.rejects(execute(new Imagior(), { credentials, parameters }), (error) => {
		assert.equal(error.name, 'NodeApiError');
		assert.equal(error.httpCode, '400');
		assert.match(error.description, /unknown_element/);
		assert.match(error.description, /request req_|request [0-9a-f]/);
		return true;
	});
	const [output] = await execute(new Imagior(), { credentials, parameters, continueOnFail: true });
	assert.equal(output.length, 1);
	assert.match(output[0].json.error, /./);

	const [[missing]] = await execute(new Imagior(), {
		credentials,
		parameters: { operation: 'get', imageId: 'img_doesnotexist' },
		continueOnFail: true,
	});
	assert.ok(missing.json.error);
	await assert.rejects(
		execute(new Imagior(), { credentials, parameters: { operation: 'get', imageId: 'img_doesnotexist' } }),
		(error) => error.httpCode === '404',
	);
});
