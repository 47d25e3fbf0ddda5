'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { zapier, App, appTester, authData, appError, env } = require('./support');

test('the app definition passes Zapier\'s schema (what `zapier validate` checks)', async () => {
  const validation = await zapier.createAppHandler(App)({ command: 'validate' });
  assert.deepEqual(validation.results, []);
});

test('the auth test passes with a live key and labels the connection with the e-mail', async () => {
  const account = await appTester(App.authentication.test, { authData: authData() });
  assert.match(account.email, /@/);
  assert.equal(account.key.mode, 'live');
  const label = await appTester(App.authentication.connectionLabel, { authData: authData(), inputData: account });
  assert.equal(label, account.email);
});

test('a base URL with a trailing slash works too', async () => {
  const account = await appTester(App.authentication.test, {
    authData: authData({ base_url: `${authData().base_url}/` }),
  });
  assert.match(account.email, /@/);
});

test('the auth test fails with a bad key and says what to do', async () => {
  await assert.rejects(
    appTester(App.authentication.test, { authData: authData({ api_key: 'imk_live_not-a-real-key' }) }),
    (error) => {
      const { message, code, status } = appError(error);
      assert.equal(status, 401);
      assert.equal(code, 'AuthenticationError');
      assert.match(message, /did not accept the API key: The API key is not valid\./);
      assert.match(message, /reconnect/);
      assert.match(message, /request req_/);
      return true;
    },
  );
});

test('a base URL that is not http(s) is refused before any request', async () => {
  await assert.rejects(
    appTester(App.authentication.test, { authData: authData({ base_url: 'imagior.example' }) }),
    /must start with https:\/\//,
  );
});

test('a test key connects too, and its label says so', async () => {
  const testKey = { authData: authData({ api_key: env('IMAGIOR_TEST_KEY') }) };
  const account = await appTester(App.authentication.test, testKey);
  assert.equal(account.key.mode, 'test');
  const label = await appTester(App.authentication.connectionLabel, { ...testKey, inputData: account });
  assert.equal(label, `${account.email} (test key)`);
});
