'use strict';

const { apiUrl } = require('../lib/api');

const PAGE_SIZE = 100;

// Powers the template dropdown of "Render image"; Zapier asks for further
// pages with bundle.meta.page (0, 1, …) when the user scrolls.
const perform = async (z, bundle) => {
  const page = (bundle.meta && bundle.meta.page) || 0;
  const response = await z.request({
    url: apiUrl(bundle, '/api/v1/templates'),
    params: { limit: PAGE_SIZE, offset: page * PAGE_SIZE },
  });
  return response.data.results.map((template) => ({
    id: template.id,
    name: template.name,
    width: template.width,
    height: template.height,
  }));
};

module.exports = {
  key: 'template_list',
  noun: 'Template',
  display: {
    label: 'List templates',
    description: 'Lists your design templates (for dropdowns).',
    hidden: true,
  },
  operation: {
    perform,
    sample: { id: 'tpl_8Hq2Xw0sample', name: 'Blog card', width: 1200, height: 630 },
  },
};
