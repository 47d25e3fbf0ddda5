// Run by tests/clients/test_n8n_node.py with IMAGIOR_BASE_URL pointing at a proxy
// that resets the connection of the next render after the server has charged it.
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { execute, load } = require('./n8n-runtime');

const { Imagior } = load('nodes/Imagior/Imagior.node.js');

test(
	'a render whose answer is lost is sent once more with the same Idempotency-Key and answered',
	{ skip: !process.env.IMAGIOR_DROPPING_PROXY && 'needs the dropping proxy (tests/clients/test_n8n_node.py)' },
	async () => {
		const log = [];
		const [output] = await execute(new Imagior(), {
			log,
			credentials: { apiKey: process.env.IMAGIOR_API_KEY, baseUrl: process.env.IMAGIOR_BASE_URL },
			parameters: {
				operation: 'render',
				template: process.env.IMAGIOR_TEMPLATE,
				modificationsUi: { values: [{ key: 'title', value: 'Retried by n8n' }] },
			},
		});
		const posts = log.filter((entry) => entry.method === 'POST');
		assert.equal(posts.length, 2);
		assert.ok(posts[0].error, 'the first answer was lost');
		assert.equal(posts[1].status, 201);
		assert.equal(posts[0].headers['Idempotency-Key'], posts[1].headers['Idempotency-Key']);
		assert.equal(output.length, 1);
		assert.equal(output[0].json.status, 'completed');
		assert.equal(output[0].json.credits_used, 1);
		console.log(`IMAGIOR_RESULT ${JSON.stringify({ image: output[0].json.id, key: posts[0].headers['Idempotency-Key'], error: posts[0].error })}`);
	},
);
