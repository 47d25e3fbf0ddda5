'use strict';

const { apiUrl } = require('./lib/api');

const test = async (z, bundle) => {
  const response = await z.request({ url: apiUrl(bundle, '/api/v1/account') });
  return response.data;
};

module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'api_key',
      label: 'API key',
      type: 'password',
      required: true,
      helpText:
        'An Imagior API key (`imk_live_…` renders for real, `imk_test_…` renders watermarked sandbox images for free). Create one in the dashboard under API keys.',
    },
    {
      key: 'base_url',
      label: 'Imagior URL',
      type: 'string',
      required: true,
      placeholder: 'https://imagior.example',
      helpText: 'The address of your Imagior service, without /api/v1.',
    },
  ],
  test,
  // Zapier calls this with the test's answer (GET /api/v1/account) as inputData.
  connectionLabel: (z, bundle) => {
    const account = bundle.inputData || {};
    const mode = account.key && account.key.mode === 'test' ? ' (test key)' : '';
    return `${account.email || 'Imagior'}${mode}`;
  },
};
