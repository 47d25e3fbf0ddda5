'use strict';

const { apiUrl, throwProblem } = require('../lib/api');
const { sampleImage, imageOutputFields } = require('../lib/image');

const EVENT = 'image.completed';

// Zapier gives the hook's address; Imagior answers with the subscription
// ({id, url, events, mode, secret, …}), which Zapier keeps as subscribeData.
const performSubscribe = async (z, bundle) => {
  const response = await z.request({
    method: 'POST',
    url: apiUrl(bundle, '/api/v1/webhooks'),
    body: { url: bundle.targetUrl, events: [EVENT] },
  });
  return response.data;
};

const performUnsubscribe = async (z, bundle) => {
  const id = bundle.subscribeData && bundle.subscribeData.id;
  if (!id) {
    throw new z.errors.Error('This Zap has no Imagior webhook to remove.', 'missing_subscription', 400);
  }
  const response = await z.request({
    method: 'DELETE',
    url: apiUrl(bundle, `/api/v1/webhooks/${encodeURIComponent(id)}`),
    skipThrowForStatus: true,
  });
  // Already gone (deleted in the dashboard, or auto-disabled and removed): the
  // Zap can be turned off all the same.
  if (response.status >= 400 && response.status !== 404) {
    throwProblem(response, z);
  }
  return { id, removed: response.status === 204 };
};

// A delivery is {"type", "created_at", "data": <image>}; the Zap gets the image.
const perform = (z, bundle) => {
  const event = bundle.cleanedRequest || {};
  if (event.type !== EVENT || !event.data || !event.data.id) {
    return [];
  }
  return [event.data];
};

// For "Test trigger" in the Zap editor: the latest finished images, shaped
// exactly like a delivery's image.
const performList = async (z, bundle) => {
  const response = await z.request({
    url: apiUrl(bundle, '/api/v1/images'),
    params: { status: 'completed', limit: 3 },
  });
  return response.data.results;
};

module.exports = {
  key: 'image_completed',
  noun: 'Image',
  display: {
    label: 'Image Completed',
    description: 'Triggers when an image finishes rendering (renders made with this key\'s mode: live or test).',
  },
  operation: {
    type: 'hook',
    performSubscribe,
    performUnsubscribe,
    perform,
    performList,
    sample: sampleImage,
    outputFields: imageOutputFields,
  },
};
