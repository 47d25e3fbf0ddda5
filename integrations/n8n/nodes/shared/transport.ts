import { randomUUID } from 'crypto';
import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	ILoadOptionsFunctions,
	IN8nHttpFullResponse,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

export const CREDENTIAL = 'imagiorApi';

type Context = IExecuteFunctions | IHookFunctions | ILoadOptionsFunctions;

export interface ImagiorAnswer {
	statusCode: number;
	body: IDataObject;
	headers: IDataObject;
}

export interface RequestOptions {
	body?: IDataObject;
	qs?: IDataObject;
	// A POST that changes something carries one key for all its attempts, so a
	// retry after a lost answer is replayed by the server instead of charged twice.
	idempotencyKey?: string;
	// How many times to send it again after a dropped connection, a 429 (after its
	// Retry-After) or a 502/503/504.
	retries?: number;
	itemIndex?: number;
}

// Network failures where the request may or may not have reached the server:
// only safe to repeat with the same Idempotency-Key (or for a GET).
const CONNECTION_CODES = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'ECONNABORTED',
	'EPIPE',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'EAI_AGAIN',
	'UND_ERR_SOCKET',
	'UND_ERR_CLOSED',
]);
const RETRIED_STATUSES = new Set([502, 503, 504]);
const MAX_RETRY_AFTER_SECONDS = 60;

export function newIdempotencyKey(): string {
	return `n8n-${randomUUID()}`;
}

export function isConnectionDrop(error: unknown): boolean {
	let current = error as IDataObject | undefined;
	for (let depth = 0; current && depth < 6; depth++) {
		const response = current.response as IDataObject | undefined;
		if (response && typeof response.status === 'number') return false;
		// n8n's helpers wrap a network failure in a NodeApiError whose httpCode is the socket error's code.
		for (const name of ['code', 'httpCode']) {
			const code = current[name];
			if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
		}
		if (typeof current.message === 'string' && /socket hang up|ECONNRESET/.test(current.message)) {
			return true;
		}
		current = current.cause as IDataObject | undefined;
	}
	return false;
}

export async function baseUrl(this: Context): Promise<string> {
	const credentials = await this.getCredentials(CREDENTIAL);
	return String(credentials.baseUrl ?? '').replace(/\/+$/, '');
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One call to the Imagior API; any HTTP status comes back as it is. */
export async function sendToImagior(
	this: Context,
	method: IHttpRequestMethods,
	path: string,
	options: RequestOptions = {},
): Promise<ImagiorAnswer> {
	const root = await baseUrl.call(this);
	const headers: IDataObject = { Accept: 'application/json' };
	if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
	const retries = options.retries ?? 0;
	for (let attempt = 0; ; attempt++) {
		try {
			const answer = (await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL, {
				method,
				url: `${root}${path}`,
				headers,
				qs: options.qs,
				body: options.body,
				json: true,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout: 120_000,
			})) as IN8nHttpFullResponse;
			if (attempt < retries && answer.statusCode === 429) {
				// Over the minute's budget: the answer says when the window ends.
				const wait = Number(answer.headers?.['retry-after'] ?? 1);
				await sleep(Math.min(Number.isFinite(wait) ? wait : 1, MAX_RETRY_AFTER_SECONDS) * 1000);
				continue;
			}
			if (attempt < retries && RETRIED_STATUSES.has(answer.statusCode)) {
				await sleep(500 * (attempt + 1) + Math.random() * 250);
				continue;
			}
			// A proxy's error page is text, not a problem document.
			const body =
				answer.body && typeof answer.body === 'object'
					? (answer.body as IDataObject)
					: { detail: String(answer.body ?? '').slice(0, 500) };
			return { statusCode: answer.statusCode, body, headers: answer.headers ?? {} };
		} catch (error) {
			if (isConnectionDrop(error) && attempt < retries) {
				await sleep(250 * (attempt + 1) + Math.random() * 250);
				continue;
			}
			throw error;
		}
	}
}

/** Like sendToImagior, but an answer of 400 or more becomes a NodeApiError with the problem's detail. */
export async function imagiorRequest(
	this: Context,
	method: IHttpRequestMethods,
	path: string,
	options: RequestOptions = {},
): Promise<IDataObject> {
	const answer = await sendToImagior.call(this, method, path, options);
	if (answer.statusCode >= 400) throw problemError.call(this, answer, options.itemIndex);
	return answer.body;
}

export function problemError(this: Context, answer: ImagiorAnswer, itemIndex?: number): NodeApiError {
	const problem = answer.body ?? {};
	const title = String(problem.title ?? `HTTP ${answer.statusCode}`);
	const detail = problem.detail ? `: ${String(problem.detail)}` : '';
	const fields = Array.isArray(problem.errors) ? (problem.errors as IDataObject[]) : [];
	const parts = [
		...fields.slice(0, 5).map((e) => `${String(e.field ?? '')} ${String(e.code ?? '')}: ${String(e.message ?? '')}`.trim()),
		problem.code && `code ${String(problem.code)}`,
		problem.request_id && `request ${String(problem.request_id)}`,
	];
	return new NodeApiError(this.getNode(), problem as JsonObject, {
		message: `${title}${detail}`,
		description: parts.filter(Boolean).join(', ') || undefined,
		httpCode: String(answer.statusCode),
		itemIndex,
	});
}
