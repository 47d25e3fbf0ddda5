'use strict';

// The pure parts, without a server: fields from a schema, Zapier's text turned
// into the schema's types, and the Idempotency-Key of a Zap run.

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { idempotencyKey } = require('../lib/idempotency');
const { inputFieldsFor, flatModifications } = require('../lib/schema');

const textElement = (name) => ({
  title: `${name} (text)`,
  type: 'object',
  'x-imagior-type': 'text',
  'x-imagior-primary-field': 'text',
  properties: {
    x: { type: 'number', default: 0 },
    hidden: { type: 'boolean', default: false },
    text: { type: 'string', maxLength: 5000, default: 'Hi' },
    font_weight: { type: 'integer', default: 400 },
    align: { type: 'string', enum: ['left', 'center', 'right'], default: 'left' },
    max_lines: { anyOf: [{ type: 'integer' }, { type: 'null' }], default: 3 },
  },
});

const schemaWith = (names) => {
  const $defs = Object.fromEntries(names.map((name) => [name, textElement(name)]));
  const properties = {};
  for (const name of names) {
    properties[name] = { anyOf: [{ $ref: `#/$defs/${name}` }, { $ref: `#/$defs/${name}/properties/text` }] };
    for (const field of Object.keys($defs[name].properties)) {
      properties[`${name}.${field}`] = { $ref: `#/$defs/${name}/properties/${field}` };
    }
  }
  return { anyOf: [{ type: 'array' }, { type: 'object', properties }], $defs };
};

test('each element gets a field for its primary value, typed from the schema', () => {
  const fields = inputFieldsFor(schemaWith(['title', 'caption']));
  assert.deepEqual(
    fields.map((field) => [field.key, field.type]),
    [['mod.title', 'text'], ['mod.caption', 'text'], ['more', undefined]],
  );
  assert.match(fields[2].helpText, /Every element: x, hidden, text, font_weight, align, max_lines\./);
});

test('a template with many elements still fits Zapier\'s help text limit', () => {
  const names = Array.from({ length: 60 }, (_, i) => `element_number_${i}`);
  const schema = schemaWith(names);
  for (const name of names.slice(1)) {
    schema.$defs[name].properties[`only_${name}`] = { type: 'string' };
    schema.anyOf[1].properties[`${name}.only_${name}`] = { $ref: `#/$defs/${name}/properties/only_${name}` };
  }
  const more = inputFieldsFor(schema).find((field) => field.key === 'more');
  assert.ok(more.helpText.length <= 1000, more.helpText.length);
  assert.match(more.helpText, / …$/);
});

test('text from Zapier becomes the numbers, booleans and nulls the schema asks for', () => {
  const schema = schemaWith(['title']);
  assert.deepEqual(
    flatModifications(schema, {
      title: 'Hello',
      'title.x': ' 12.5 ',
      'title.font_weight': '700',
      'title.hidden': 'yes',
      'title.max_lines': 'null',
      'title.align': '',
      'other.field': 'passed as is',
    }),
    {
      title: 'Hello',
      'title.x': 12.5,
      'title.font_weight': 700,
      'title.hidden': true,
      'title.max_lines': null,
      'other.field': 'passed as is',
    },
  );
  assert.throws(() => flatModifications(schema, { 'title.hidden': 'maybe' }), /title\.hidden must be true or false/);
});

test('the Idempotency-Key is the same for a replay and differs for another Zap or run', () => {
  const body = { template: 'tpl_1', modifications: { title: 'Hi', 'title.x': 1 }, format: 'png' };
  const bundle = (zap, runKey) => ({ meta: { zap: { id: zap } }, inputData: { run_key: runKey } });
  const key = idempotencyKey(bundle('zap-1', 'row-1'), body);
  assert.match(key, /^zapier-[0-9a-f]{64}$/);
  const reordered = { format: 'png', modifications: { 'title.x': 1, title: 'Hi' }, template: 'tpl_1' };
  assert.equal(idempotencyKey(bundle('zap-1', 'row-1'), reordered), key);
  assert.notEqual(idempotencyKey(bundle('zap-2', 'row-1'), body), key);
  assert.notEqual(idempotencyKey(bundle('zap-1', 'row-2'), body), key);
  assert.notEqual(idempotencyKey(bundle('zap-1', 'row-1'), { ...body, format: 'jpeg' }), key);
});
