'use strict';

const { apiUrl } = require('../lib/api');
const { idempotencyKey } = require('../lib/idempotency');
const { sampleImage, imageOutputFields } = require('../lib/image');
const { fetchSchema, inputFieldsFor, flatModifications } = require('../lib/schema');

const MODIFICATION_PREFIX = 'mod.';

const modificationFields = async (z, bundle) => {
  if (!bundle.inputData.template) {
    return [];
  }
  return inputFieldsFor(await fetchSchema(z, bundle, bundle.inputData.template));
};

const perform = async (z, bundle) => {
  const input = bundle.inputData;
  const more = input.more && typeof input.more === 'object' && !Array.isArray(input.more) ? input.more : {};
  const values = { ...more };
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith(MODIFICATION_PREFIX)) {
      values[key.slice(MODIFICATION_PREFIX.length)] = value;
    }
  }
  // The schema says which values are numbers or booleans (Zapier maps text).
  const schema = Object.keys(values).length ? await fetchSchema(z, bundle, input.template) : {};
  const body = {
    template: input.template,
    modifications: flatModifications(schema, values),
    format: input.format || 'png',
  };
  if (input.scale !== undefined && input.scale !== null && input.scale !== '') {
    body.scale = Number(input.scale);
  }
  const response = await z.request({
    method: 'POST',
    url: apiUrl(bundle, '/api/v1/images'),
    headers: { 'Idempotency-Key': idempotencyKey(bundle, body) },
    body,
  });
  return response.data;
};

module.exports = {
  key: 'render_image',
  noun: 'Image',
  display: {
    label: 'Render Image',
    description: 'Renders an image from one of your templates, with your texts, pictures and colours.',
  },
  operation: {
    inputFields: [
      {
        key: 'template',
        label: 'Template',
        required: true,
        dynamic: 'template_list.id.name',
        altersDynamicFields: true,
        helpText: 'The design template to render. Its elements appear below once chosen.',
      },
      {
        key: 'format',
        label: 'Format',
        required: false,
        choices: ['png', 'jpeg', 'webp', 'pdf'],
        default: 'png',
      },
      {
        key: 'scale',
        label: 'Scale',
        type: 'number',
        required: false,
        helpText: 'Multiplies the pixel size (0.1–4). Leave empty for 1.',
      },
      {
        key: 'run_key',
        label: 'Unique run key',
        required: false,
        helpText:
          'Map something unique to the item that started this Zap (e.g. its ID). A replay of the same run then renders once, while another item with identical values still gets its own render. Left empty, identical values in this Zap within 24 hours share one render (and one credit).',
      },
      modificationFields,
    ],
    perform,
    sample: sampleImage,
    outputFields: imageOutputFields,
  },
};
