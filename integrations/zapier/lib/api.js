'use strict';

// What every request to Imagior shares: where it goes, the key, and errors a
// Zap's user can act on instead of Zapier's generic "got 4xx".

const apiUrl = (bundle, path) => {
  const base = String(bundle.authData.base_url || '').trim().replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) {
    throw new Error(
      'The Imagior base URL must start with https:// (or http://), e.g. https://imagior.example',
    );
  }
  return `${base}${path}`;
};

const addApiKey = (request, z, bundle) => {
  if (bundle.authData && bundle.authData.api_key) {
    request.headers = request.headers || {};
    request.headers.Authorization = `Bearer ${String(bundle.authData.api_key).trim()}`;
  }
  request.headers = { Accept: 'application/json', ...request.headers };
  return request;
};

const problemOf = (response) => {
  try {
    const body = JSON.parse(response.content);
    return body && typeof body === 'object' ? body : {};
  } catch (error) {
    return {};
  }
};

// Turns an Imagior problem+json answer into an error naming the code, what to
// do about it and the request id (for support), before core's generic
// throwForStatus sees it.
const explainErrors = (response, z) => {
  if (response.status < 400 || response.skipThrowForStatus) {
    return response;
  }
  return throwProblem(response, z);
};

const throwProblem = (response, z) => {
  const problem = problemOf(response);
  const code = problem.code || `http_${response.status}`;
  const detail = problem.detail || problem.title || `Imagior answered HTTP ${response.status}.`;
  const reference = problem.request_id ? ` (request ${problem.request_id})` : '';
  if (response.status === 401) {
    throw new z.errors.Error(
      `Imagior did not accept the API key: ${detail} Check the key in your Imagior dashboard (API keys) and reconnect.${reference}`,
      'AuthenticationError',
      401,
    );
  }
  if (response.status === 429) {
    const retryAfter = parseInt(response.headers.get('retry-after'), 10);
    throw new z.errors.ThrottledError(
      `Imagior's rate limit was reached: ${detail}${reference}`,
      Number.isFinite(retryAfter) ? retryAfter : 60,
    );
  }
  throw new z.errors.Error(`${detail}${reference}`, code, response.status);
};

module.exports = { apiUrl, addApiKey, explainErrors, throwProblem };
