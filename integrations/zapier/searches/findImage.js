'use strict';

const { apiUrl, throwProblem } = require('../lib/api');
const { sampleImage, imageOutputFields } = require('../lib/image');

const perform = async (z, bundle) => {
  const id = String(bundle.inputData.id || '').trim();
  if (!id) {
    return [];
  }
  const response = await z.request({
    url: apiUrl(bundle, `/api/v1/images/${encodeURIComponent(id)}`),
    skipThrowForStatus: true,
  });
  // Not found is an answer for a search ("no result"), not an error.
  if (response.status === 404) {
    return [];
  }
  if (response.status >= 400) {
    throwProblem(response, z);
  }
  return [response.data];
};

module.exports = {
  key: 'find_image',
  noun: 'Image',
  display: {
    label: 'Find Image',
    description: 'Finds an image by its ID (img_…), with its status and URL.',
  },
  operation: {
    inputFields: [
      { key: 'id', label: 'Image ID', required: true, helpText: 'The image\'s ID, e.g. `img_3mZ0…`.' },
    ],
    perform,
    sample: sampleImage,
    outputFields: imageOutputFields,
  },
};
