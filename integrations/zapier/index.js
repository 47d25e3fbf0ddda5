'use strict';

const zapier = require('zapier-platform-core');

const authentication = require('./authentication');
const { addApiKey, explainErrors } = require('./lib/api');
const imageCompleted = require('./triggers/imageCompleted');
const templateList = require('./triggers/templateList');
const renderImage = require('./creates/renderImage');
const findImage = require('./searches/findImage');

module.exports = {
  version: require('./package.json').version,
  platformVersion: zapier.version,

  authentication,
  beforeRequest: [addApiKey],
  afterResponse: [explainErrors],

  triggers: {
    [imageCompleted.key]: imageCompleted,
    [templateList.key]: templateList,
  },
  creates: {
    [renderImage.key]: renderImage,
  },
  searches: {
    [findImage.key]: findImage,
  },
};
