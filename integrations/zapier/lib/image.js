'use strict';

// The image object as Imagior sends it; Zapier shows these as the step's output.
const sampleImage = {
  id: 'img_3mZ0sAmpLeImAgE0000000',
  status: 'completed',
  template: 'tpl_8Hq2Xw0sample',
  template_version: 1,
  format: 'png',
  width: 1200,
  height: 630,
  file_size: 48213,
  url: 'https://imagior.example/media/images/img_3mZ0sAmpLeImAgE0000000.png',
  sandbox: false,
  credits_used: 1,
  modifications: [{ name: 'title', text: 'Hello' }],
  metadata: {},
  callback_url: null,
  source_image: null,
  warnings: [],
  error: null,
  render_ms: 41,
  created_at: '2026-12-07T12:00:00Z',
  completed_at: '2026-12-07T12:00:01Z',
};

const imageOutputFields = [
  { key: 'id', label: 'Image ID' },
  { key: 'url', label: 'Image URL' },
  { key: 'status', label: 'Status' },
  { key: 'template', label: 'Template ID' },
  { key: 'format', label: 'Format' },
  { key: 'width', label: 'Width', type: 'integer' },
  { key: 'height', label: 'Height', type: 'integer' },
  { key: 'file_size', label: 'File size (bytes)', type: 'integer' },
  { key: 'sandbox', label: 'Sandbox', type: 'boolean' },
  { key: 'credits_used', label: 'Credits used', type: 'integer' },
  { key: 'created_at', label: 'Created at', type: 'datetime' },
  { key: 'completed_at', label: 'Completed at', type: 'datetime' },
];

module.exports = { sampleImage, imageOutputFields };
