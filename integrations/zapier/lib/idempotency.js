'use strict';

const crypto = require('crypto');

const stableJson = (value) => {
  if (Array.isArray(value)) {
    return `[${value.map(stableJson).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
};

// Zapier re-runs a step (its own retries, "Replay" of a Zap run) with the same
// Zap, the same input and the same run key: the same Idempotency-Key, so
// Imagior answers the first render again instead of charging a second one.
const idempotencyKey = (bundle, body) => {
  const meta = bundle.meta || {};
  const run = {
    zap: meta.zap && meta.zap.id ? String(meta.zap.id) : null,
    run_key: bundle.inputData.run_key ? String(bundle.inputData.run_key) : null,
    body,
  };
  return `zapier-${crypto.createHash('sha256').update(stableJson(run)).digest('hex')}`;
};

module.exports = { idempotencyKey };
