'use strict';

// Zapier replays a step with the same bundle (its own retries, "Replay" of a
// Zap run): one render, one charge. The Python side checks the balance.

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { App, appTester, authData, env, report } = require('./support');

const perform = App.creates.render_image.operation.perform;

const bundleFor = (runKey) => ({
  authData: authData(),
  inputData: {
    template: env('IMAGIOR_TEMPLATE'),
    'mod.title': 'Same Zap run, one charge',
    run_key: runKey,
  },
  meta: { zap: { id: env('IMAGIOR_ZAP_ID') }, isLoadingSample: false },
});

test('the same Zap run performed twice renders once; another run renders again', async () => {
  const first = await appTester(perform, bundleFor('row-1'));
  const replay = await appTester(perform, bundleFor('row-1'));
  assert.equal(first.status, 'completed');
  assert.equal(replay.id, first.id);
  assert.equal(replay.url, first.url);

  const otherRun = await appTester(perform, bundleFor('row-2'));
  assert.equal(otherRun.status, 'completed');
  assert.notEqual(otherRun.id, first.id);
  report({ replayed: first.id, other_run: otherRun.id });
});
