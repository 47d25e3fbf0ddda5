'use strict';

// Reads a template's modification schema (GET /api/v1/templates/{id}/schema,
// JSON Schema 2020-12): the flat map shape is the object whose keys are
// "title" (the element's primary field) and "title.color" (one field).

const { apiUrl } = require('./api');

const fetchSchema = async (z, bundle, template) => {
  const response = await z.request({
    url: apiUrl(bundle, `/api/v1/templates/${encodeURIComponent(template)}/schema`),
  });
  return response.data;
};

const flatProperties = (schema) => {
  const variants = schema.anyOf || schema.oneOf || [schema];
  const flat = variants.find((variant) => variant.type === 'object' && variant.properties);
  return flat ? flat.properties : {};
};

const resolve = (schema, node) => {
  let current = node;
  for (let depth = 0; current && current.$ref && depth < 8; depth += 1) {
    const path = current.$ref.replace(/^#\//, '').split('/');
    current = path.reduce((part, name) => (part ? part[name.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), schema);
  }
  return current || {};
};

// A bare element key accepts the whole element object or its primary field's
// value; the primary field is what a Zap sets.
const fieldSchema = (schema, flatKey) => {
  const node = flatProperties(schema)[flatKey];
  if (!node) {
    return null;
  }
  if (!flatKey.includes('.')) {
    const element = (schema.$defs || {})[flatKey] || {};
    const primary = element['x-imagior-primary-field'];
    return primary && element.properties ? resolve(schema, element.properties[primary]) : null;
  }
  return resolve(schema, node);
};

const typeOf = (property) => {
  if (typeof property.type === 'string') {
    return property.type;
  }
  const options = property.anyOf || property.oneOf || [];
  const typed = options.find((option) => option.type && option.type !== 'null');
  return typed ? typed.type : 'string';
};

const nullable = (property) =>
  property.type === 'null' || (property.anyOf || property.oneOf || []).some((option) => option.type === 'null');

const ZAPIER_TYPES = { string: 'string', number: 'number', integer: 'integer', boolean: 'boolean' };

const describeDefault = (value) =>
  value === undefined || value === null || value === '' ? '' : ` Template's value: ${JSON.stringify(value)}.`;

const HELP_TEXT_LIMIT = 1000;

// "Every element: x, y, …. title: text, color, …": the other flat keys, short
// enough for Zapier's help text limit (1000 characters).
const otherFieldsHelp = (keys) => {
  const byElement = {};
  for (const key of keys.filter((name) => name.includes('.'))) {
    const [element, field] = [key.slice(0, key.lastIndexOf('.')), key.slice(key.lastIndexOf('.') + 1)];
    (byElement[element] = byElement[element] || []).push(field);
  }
  const elements = Object.keys(byElement);
  const shared = elements.length
    ? byElement[elements[0]].filter((field) => elements.every((element) => byElement[element].includes(field)))
    : [];
  const parts = shared.length ? [`Every element: ${shared.join(', ')}.`] : [];
  for (const element of elements) {
    const own = byElement[element].filter((field) => !shared.includes(field));
    if (own.length) {
      parts.push(`${element}: ${own.join(', ')}.`);
    }
  }
  let text = parts.join(' ');
  const room = HELP_TEXT_LIMIT - 120;
  if (text.length > room) {
    text = `${text.slice(0, text.lastIndexOf(' ', room - 2))} …`;
  }
  return text;
};

// One Zap field per element, for its primary field (a text's text, an image's
// src, a QR code's value, a shape's fill), plus the other flat keys listed.
const inputFieldsFor = (schema) => {
  const defs = schema.$defs || {};
  const keys = Object.keys(flatProperties(schema));
  const fields = [];
  for (const name of keys.filter((key) => !key.includes('.'))) {
    const element = defs[name] || {};
    const primary = element['x-imagior-primary-field'];
    if (!primary) {
      continue;
    }
    const property = fieldSchema(schema, name);
    const type = typeOf(property);
    const field = {
      key: `mod.${name}`,
      label: `${name} (${element['x-imagior-type'] || 'element'}: ${primary})`,
      type: type === 'string' && (property.maxLength || 0) > 255 ? 'text' : ZAPIER_TYPES[type] || 'string',
      required: false,
      helpText: `Sets ${name}'s ${primary}. Leave empty to keep the template's.${describeDefault(property.default)}`,
    };
    const choices = property.enum || ((property.anyOf || []).find((option) => option.enum) || {}).enum;
    if (choices) {
      field.choices = choices.filter((choice) => choice !== null).map(String);
    }
    fields.push(field);
  }
  fields.push({
    key: 'more',
    label: 'Other modifications',
    dict: true,
    required: false,
    helpText: `Any other field of an element, as name.field → value, e.g. \`title.color\` → \`#ff0000\`. ${otherFieldsHelp(keys)}`,
  });
  return fields;
};

const coerce = (property, value, key) => {
  if (typeof value !== 'string') {
    return value;
  }
  const type = typeOf(property);
  const text = value.trim();
  if (text === 'null' && nullable(property)) {
    return null;
  }
  if (type === 'number' || type === 'integer') {
    const number = Number(text);
    if (text === '' || !Number.isFinite(number)) {
      throw new Error(`${key} must be a number, got ${JSON.stringify(value)}.`);
    }
    return number;
  }
  if (type === 'boolean') {
    if (/^(true|yes|1)$/i.test(text)) {
      return true;
    }
    if (/^(false|no|0)$/i.test(text)) {
      return false;
    }
    throw new Error(`${key} must be true or false, got ${JSON.stringify(value)}.`);
  }
  return value;
};

// {"title": "Hi", "title.color": "#fff"}: the flat map Imagior accepts, with
// Zapier's strings turned into the numbers and booleans the schema asks for.
// Empty values keep the template's own.
const flatModifications = (schema, values) => {
  const modifications = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    const property = fieldSchema(schema, key);
    modifications[key] = property ? coerce(property, value, key) : value;
  }
  return modifications;
};

module.exports = { fetchSchema, inputFieldsFor, flatModifications, flatProperties };
