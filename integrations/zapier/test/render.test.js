'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const { zapier, App, appTester, authData, api, httpRequest, env, pngSize, report } = require('./support');

const renderImage = App.creates.render_image.operation;

test('the template dropdown lists the account\'s templates', async () => {
  const templates = await appTester(App.triggers.template_list.operation.perform, {
    authData: authData(),
    meta: { page: 0 },
  });
  const blogCard = templates.find((template) => template.id === env('IMAGIOR_TEMPLATE'));
  assert.ok(blogCard, JSON.stringify(templates));
  assert.equal(blogCard.name, 'Blog card');
});

test('the dynamic fields are the template\'s elements and name every flat key', async () => {
  const schema = (await api(`/api/v1/templates/${env('IMAGIOR_TEMPLATE')}/schema`)).body;
  const elements = Object.keys(schema.$defs);
  assert.ok(elements.includes('title') && elements.includes('qr'), elements.join());

  const fields = await appTester(renderImage.inputFields, {
    authData: authData(),
    inputData: { template: env('IMAGIOR_TEMPLATE') },
  });
  const byKey = Object.fromEntries(fields.map((field) => [field.key, field]));
  assert.deepEqual(
    Object.keys(byKey).slice(0, 4),
    ['template', 'format', 'scale', 'run_key'],
  );
  for (const element of elements) {
    const field = byKey[`mod.${element}`];
    assert.ok(field, `no field for ${element}`);
    assert.equal(field.required, false);
  }
  assert.equal(byKey['mod.title'].label, 'title (text: text)');
  assert.match(byKey['mod.title'].helpText, /Template's value: "Render beautiful/);
  assert.equal(byKey['mod.qr'].label, 'qr (qr_code: value)');
  const flatKeys = Object.keys(schema.anyOf.find((variant) => variant.type === 'object').properties);
  assert.match(byKey.more.helpText, /Every element: x, y, width, height, rotation, opacity, hidden\./);
  for (const key of flatKeys.filter((k) => k.includes('.'))) {
    const [element, field] = key.split('.');
    const named = new RegExp(`(Every element|${element}): [a-z_, ]*\\b${field}\\b`);
    assert.match(byKey.more.helpText, named, key);
  }
  assert.equal(byKey.more.dict, true);

  // Zapier checks the fields a function returns like static ones.
  const withTheseFields = {
    ...App,
    creates: {
      render_image: { ...App.creates.render_image, operation: { ...renderImage, inputFields: fields } },
    },
  };
  const validation = await zapier.createAppHandler(withTheseFields)({ command: 'validate' });
  assert.deepEqual(validation.results, []);
});

test('without a template chosen there are no element fields yet', async () => {
  const fields = await appTester(renderImage.inputFields, { authData: authData(), inputData: {} });
  assert.deepEqual(fields.map((field) => field.key), ['template', 'format', 'scale', 'run_key']);
});

test('Render image renders a real PNG with the Zap\'s values', async () => {
  const image = await appTester(renderImage.perform, {
    authData: authData(),
    inputData: {
      template: env('IMAGIOR_TEMPLATE'),
      format: 'png',
      'mod.title': 'Rendered by Zapier',
      'mod.subtitle': '',
      more: { 'title.color': '#ff0000', 'title.font_size': '48', 'qr.hidden': 'true' },
    },
    meta: { zap: { id: `render-${Date.now()}` } },
  });
  assert.equal(image.status, 'completed');
  assert.equal(image.format, 'png');
  assert.equal(image.sandbox, false);
  assert.equal(image.credits_used, 1);
  const title = image.modifications.find((modification) => modification.name === 'title');
  assert.equal(title.text, 'Rendered by Zapier');
  assert.equal(title.color, '#ff0000');
  assert.equal(title.font_size, 48);
  assert.equal(image.modifications.find((modification) => modification.name === 'qr').hidden, true);
  // An empty field keeps the template's value: the subtitle was not modified.
  assert.ok(!image.modifications.some((modification) => modification.name === 'subtitle' && 'text' in modification));

  const file = await httpRequest(image.url);
  assert.equal(file.status, 200);
  assert.equal(file.headers['content-type'], 'image/png');
  const size = pngSize(file.bytes);
  assert.deepEqual(size, { width: image.width, height: image.height });
  assert.deepEqual(size, { width: 1200, height: 630 });
  report({ rendered: image.id });
});

test('a value the schema cannot take is refused with the reason', async () => {
  await assert.rejects(
    appTester(renderImage.perform, {
      authData: authData(),
      inputData: { template: env('IMAGIOR_TEMPLATE'), more: { 'title.font_size': 'big' } },
    }),
    /title\.font_size must be a number, got "big"/,
  );
  await assert.rejects(
    appTester(renderImage.perform, {
      authData: authData(),
      inputData: { template: env('IMAGIOR_TEMPLATE'), more: { 'nosuch.text': 'x' } },
    }),
    (error) => {
      const problem = JSON.parse(error.message);
      assert.equal(problem.code, 'unknown_element');
      assert.equal(problem.status, 400);
      assert.match(problem.message, /nosuch/);
      return true;
    },
  );
});
