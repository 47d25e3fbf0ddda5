'use strict';

// Run against a proxy that answers the first render with a connection reset
// after Imagior charged it. The step fails; Zapier runs it again with the same
// bundle, and that retry must get the same image without a second charge.

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { App, appTester, authData, env, report } = require('./support');

test('a render whose answer was lost is retried by Zapier and charged once', async () => {
  const bundle = () => ({
    authData: authData(),
    inputData: { template: env('IMAGIOR_TEMPLATE'), 'mod.title': 'Lost answer, one charge', run_key: 'lost-1' },
    meta: { zap: { id: env('IMAGIOR_ZAP_ID') } },
  });
  const perform = App.creates.render_image.operation.perform;
  await assert.rejects(appTester(perform, bundle()), /ECONNRESET|socket hang up|reset/i);
  const image = await appTester(perform, bundle());
  assert.equal(image.status, 'completed');
  report({ retried: image.id });
});
