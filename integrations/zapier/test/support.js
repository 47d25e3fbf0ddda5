'use strict';

// Shared by the tests: the app under Zapier's own test harness, pointed at a
// real Imagior given by IMAGIOR_BASE_URL and IMAGIOR_API_KEY.

const fs = require('fs');
const http = require('http');
const https = require('https');

// Tells zapier-platform-core it runs under tests (no per-call memory log).
process.env.NODE_ENV = process.env.NODE_ENV || 'test';

const zapier = require('zapier-platform-core');

zapier.tools.env.inject();

// Node 20 keeps connections alive by default; gunicorn closes an idle one after
// 2 s, and a request sent on it in that instant fails with a reset. Each test
// request gets its own connection, as each Zapier invocation would.
http.globalAgent = new http.Agent({ keepAlive: false });
https.globalAgent = new https.Agent({ keepAlive: false });

const App = require('../index');

const appTester = zapier.createAppTester(App);

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`Set ${name} to run these tests against a running Imagior.`);
  }
  return value;
};

const authData = (overrides = {}) => ({
  api_key: env('IMAGIOR_API_KEY'),
  base_url: env('IMAGIOR_BASE_URL'),
  ...overrides,
});

// A plain HTTP request on a fresh connection (node's fetch would pool them).
// Options and callback only: zapier-platform-core patches http.request to that
// two-argument form.
const httpRequest = (url, { method = 'GET', headers = {}, body } = {}) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const options = {
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method,
      headers,
    };
    const request = client.request(options, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode, headers: response.headers, bytes: Buffer.concat(chunks) }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });

// Straight to the API, bypassing the app: to check what the app did.
const api = async (path, options = {}) => {
  const response = await httpRequest(`${env('IMAGIOR_BASE_URL')}${path}`, {
    ...options,
    headers: { Authorization: `Bearer ${env('IMAGIOR_API_KEY')}`, ...(options.headers || {}) },
  });
  const text = response.bytes.toString('utf8');
  return { status: response.status, body: text ? JSON.parse(text) : null };
};

// Width and height from a PNG's IHDR chunk; throws unless it is a PNG.
const pngSize = (bytes) => {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG');
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
};

// What a test wants the Python side to check (ids, keys), as JSON.
const report = (values) => {
  const path = process.env.IMAGIOR_ZAPIER_REPORT;
  if (path) {
    const current = fs.existsSync(path) ? JSON.parse(fs.readFileSync(path, 'utf8')) : {};
    fs.writeFileSync(path, JSON.stringify({ ...current, ...values }));
  }
};

// AppError's message is JSON {message, code, status}.
const appError = (error) => {
  try {
    return JSON.parse(error.message);
  } catch (parseError) {
    return { message: error.message };
  }
};

module.exports = { zapier, App, appTester, authData, api, httpRequest, env, pngSize, report, appError };
