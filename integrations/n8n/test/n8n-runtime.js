// A small stand-in for n8n's runtime: the `this` objects n8n hands to a node's
// execute(), webhook methods, webhook() and loadOptions methods, with the HTTP
// helpers implemented on fetch. It stands in for n8n, never for Imagior: every
// request goes to the real server the tests point it at.
'use strict';

const path = require('node:path');
const { NodeApiError } = require('n8n-workflow');

const DIST = path.join(__dirname, '..', 'dist');

function load(relative) {
	return require(path.join(DIST, relative));
}

// n8n evaluates `={{ … }}` strings with the credential's values as $credentials.
function resolveExpression(value, credentials) {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	return value.slice(1).replace(/\{\{(.+?)\}\}/g, (_, code) =>
		String(new Function('$credentials', `return (${code});`)(credentials)),
	);
}

function withQuery(url, qs) {
	if (!qs || Object.keys(qs).length === 0) return url;
	const target = new URL(url);
	for (const [name, value] of Object.entries(qs)) {
		if (value !== undefined) target.searchParams.set(name, String(value));
	}
	return target.toString();
}

function headersObject(headers) {
	const result = {};
	headers.forEach((value, name) => {
		result[name] = value;
	});
	return result;
}

// helpers.httpRequest: the options n8n's IHttpRequestOptions names and these
// nodes use (method, url/baseURL, qs, headers, body, json, encoding,
// returnFullResponse, ignoreHttpStatusErrors, timeout). Like n8n's axios-based
// helper, a network failure throws an error carrying the socket error's code and
// an HTTP status of 400 or more throws unless ignoreHttpStatusErrors is set.
function makeHttpRequest(log) {
	return async function httpRequest(options) {
		const url = withQuery(options.baseURL ? options.baseURL + options.url : options.url, options.qs);
		const headers = { ...(options.headers || {}) };
		let body;
		if (options.body !== undefined && options.body !== null) {
			if (Buffer.isBuffer(options.body) || typeof options.body === 'string') {
				body = options.body;
			} else {
				body = JSON.stringify(options.body);
				headers['Content-Type'] = headers['Content-Type'] || 'application/json';
			}
		}
		const entry = { method: options.method || 'GET', url, headers, body, status: null, error: null };
		log.push(entry);
		let response;
		try {
			response = await fetch(url, {
				method: entry.method,
				headers,
				body,
				redirect: options.disableFollowRedirect ? 'manual' : 'follow',
				signal: AbortSignal.timeout(options.timeout || 300_000),
			});
		} catch (error) {
			const cause = error.cause || error;
			const failure = new Error(cause.message || error.message);
			failure.code = cause.code || error.code || 'ECONNRESET';
			failure.cause = error;
			entry.error = failure.code;
			throw failure;
		}
		entry.status = response.status;
		const bytes = Buffer.from(await response.arrayBuffer());
		let parsed;
		if (options.encoding === 'arraybuffer') {
			parsed = bytes;
		} else {
			const text = bytes.toString('utf8');
			try {
				parsed = text ? JSON.parse(text) : '';
			} catch {
				parsed = text;
			}
		}
		if (response.status >= 400 && !options.ignoreHttpStatusErrors) {
			const failure = new Error(`Request failed with status code ${response.status}`);
			failure.response = { status: response.status, data: parsed };
			throw failure;
		}
		if (options.returnFullResponse) {
			return {
				body: parsed,
				headers: headersObject(response.headers),
				statusCode: response.status,
				statusMessage: response.statusText,
			};
		}
		return parsed;
	};
}

// helpers.httpRequestWithAuthentication: applies the credential type's own
// `authenticate` declaration (its headers, with $credentials resolved), and
// wraps failures in NodeApiError as n8n does.
function makeHelpers({ node, credentialType, credentials, log }) {
	const httpRequest = makeHttpRequest(log);
	return {
		httpRequest,
		async httpRequestWithAuthentication(name, options) {
			if (name !== credentialType.name) throw new Error(`No credentials of type ${name}`);
			const headers = { ...(options.headers || {}) };
			for (const [header, value] of Object.entries(credentialType.authenticate.properties.headers || {})) {
				headers[header] = resolveExpression(value, credentials);
			}
			try {
				return await httpRequest({ ...options, headers });
			} catch (error) {
				throw new NodeApiError(node, error);
			}
		},
		returnJsonArray(data) {
			return (Array.isArray(data) ? data : [data]).map((json) => ({ json }));
		},
		async prepareBinaryData(buffer, fileName, mimeType) {
			return {
				data: buffer.toString('base64'),
				mimeType,
				fileName,
				fileExtension: fileName ? path.extname(fileName).slice(1) : undefined,
				fileSize: String(buffer.length),
			};
		},
	};
}

function parameterLookup(description, parameters) {
	return function getNodeParameter(name, ...rest) {
		// execute(): (name, itemIndex, fallback); hooks and webhook(): (name, fallback)
		const fallback = this.kind === 'execute' ? rest[1] : rest[0];
		let value = parameters;
		for (const part of name.split('.')) value = value === undefined || value === null ? undefined : value[part];
		if (value !== undefined) return value;
		if (fallback !== undefined) return fallback;
		const declared = description.properties.find((property) => property.name === name);
		if (declared) return declared.default;
		throw new Error(`Could not get parameter "${name}"`);
	};
}

function baseContext({ kind, nodeType, parameters = {}, credentials, staticData = {}, log = [] }) {
	const credentialType = new (load('credentials/ImagiorApi.credentials.js').ImagiorApi)();
	const node = {
		id: 'test-node',
		name: nodeType.description.defaults.name,
		type: `n8n-nodes-imagior.${nodeType.description.name}`,
		typeVersion: 1,
		position: [0, 0],
		parameters,
	};
	const context = {
		kind,
		log,
		staticData,
		getNode: () => node,
		getNodeParameter: parameterLookup(nodeType.description, parameters),
		async getCredentials(name) {
			if (name !== credentialType.name) throw new Error(`No credentials of type ${name}`);
			return credentials;
		},
		getWorkflowStaticData: () => staticData,
		helpers: makeHelpers({ node, credentialType, credentials, log }),
	};
	context.getNodeParameter = context.getNodeParameter.bind(context);
	return context;
}

/** Runs node.execute() over `items` (default: one empty item). */
async function execute(nodeType, { parameters, credentials, items = [{ json: {} }], continueOnFail = false, log = [] }) {
	const context = baseContext({ kind: 'execute', nodeType, parameters, credentials, log });
	context.getInputData = () => items;
	context.continueOnFail = () => continueOnFail;
	return nodeType.execute.call(context);
}

/** The `this` of webhookMethods.default.checkExists/create/delete. */
function hookContext(nodeType, { parameters, credentials, webhookUrl, staticData, log = [] }) {
	const context = baseContext({ kind: 'hook', nodeType, parameters, credentials, staticData, log });
	context.getNodeWebhookUrl = () => webhookUrl;
	context.getMode = () => 'trigger';
	context.getActivationMode = () => 'activate';
	context.getWebhookName = () => 'default';
	return context;
}

/** The `this` of webhook(): the incoming request as n8n's webhook server parsed it (rawBody included). */
function webhookContext(nodeType, { parameters, credentials, staticData, request }) {
	const context = baseContext({ kind: 'webhook', nodeType, parameters, credentials, staticData });
	const response = { statusCode: 200, sent: undefined, ended: false };
	response.status = (code) => ((response.statusCode = code), response);
	response.send = (body) => ((response.sent = body), response);
	response.end = () => ((response.ended = true), response);
	const body = JSON.parse(request.rawBody.toString('utf8'));
	context.response = response;
	context.getBodyData = () => body;
	context.getHeaderData = () => request.headers;
	context.getRequestObject = () => ({ headers: request.headers, body, rawBody: request.rawBody });
	context.getResponseObject = () => response;
	context.getMode = () => 'webhook';
	context.getWebhookName = () => 'default';
	return context;
}

function loadOptionsContext(nodeType, { credentials, log = [] }) {
	return baseContext({ kind: 'loadOptions', nodeType, parameters: {}, credentials, log });
}

/** What n8n's "Test credential" does: the credential type's test request, authenticated by its own rules. */
async function testCredential(credentials) {
	const credentialType = new (load('credentials/ImagiorApi.credentials.js').ImagiorApi)();
	const request = credentialType.test.request;
	const headers = {};
	for (const [header, value] of Object.entries(credentialType.authenticate.properties.headers)) {
		headers[header] = resolveExpression(value, credentials);
	}
	const answer = await makeHttpRequest([])({
		method: request.method,
		baseURL: resolveExpression(request.baseURL, credentials),
		url: request.url,
		headers,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	});
	return answer;
}

module.exports = { load, execute, hookContext, webhookContext, loadOptionsContext, testCredential };
