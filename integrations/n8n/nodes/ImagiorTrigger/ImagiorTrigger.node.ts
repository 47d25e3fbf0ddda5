import { createHmac, timingSafeEqual } from 'crypto';
import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { imagiorRequest, problemError, sendToImagior } from '../shared/transport';

// Standard Webhooks: a delivery older (or newer) than this is refused as a replay.
const TOLERANCE_SECONDS = 5 * 60;

export class ImagiorTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Imagior Trigger',
		name: 'imagiorTrigger',
		icon: 'file:imagior.svg',
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["events"].join(", ")}}',
		description: 'Starts the workflow when Imagior finishes an image',
		defaults: {
			name: 'Imagior Trigger',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'imagiorApi',
				required: true,
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				options: [
					{
						name: 'Image Completed',
						value: 'image.completed',
						description: 'An image finished rendering',
					},
					{
						name: 'Image Failed',
						value: 'image.failed',
						description: 'An asynchronous render failed (its credit is refunded)',
					},
					{
						name: 'Credits Low',
						value: 'credits.low',
						description: "The account's balance ran low (live keys only)",
					},
				],
				default: ['image.completed'],
			},
			{
				displayName:
					'A live key hears only live images and a test key only sandbox images: use the key whose renders should start this workflow',
				name: 'modeNotice',
				type: 'notice',
				default: '',
			},
		],
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const webhookData = this.getWorkflowStaticData('node');
				const webhookUrl = this.getNodeWebhookUrl('default') as string;
				const events = wantedEvents(this);
				if (webhookData.webhookId !== undefined) {
					const answer = await sendToImagior.call(
						this,
						'GET',
						`/api/v1/webhooks/${encodeURIComponent(String(webhookData.webhookId))}`,
						{ retries: 1 },
					);
					if (answer.statusCode === 200 && sameSubscription(answer.body, webhookUrl, events)) {
						return true;
					}
					if (answer.statusCode === 200) {
						// Ours, but for another URL or other events (or disabled): replaced by create().
						await imagiorRequest.call(this, 'DELETE', `/api/v1/webhooks/${encodeURIComponent(String(webhookData.webhookId))}`, {
							retries: 1,
						});
					} else if (answer.statusCode !== 404) {
						throw problemError.call(this, answer);
					}
					delete webhookData.webhookId;
					delete webhookData.secret;
				}
				return false;
			},

			async create(this: IHookFunctions): Promise<boolean> {
				const webhookData = this.getWorkflowStaticData('node');
				const subscription = await imagiorRequest.call(this, 'POST', '/api/v1/webhooks', {
					body: { url: this.getNodeWebhookUrl('default') as string, events: wantedEvents(this) },
				});
				webhookData.webhookId = subscription.id as string;
				// Shown only in this answer; webhook() checks every delivery's signature with it.
				webhookData.secret = subscription.secret as string;
				return true;
			},

			async delete(this: IHookFunctions): Promise<boolean> {
				const webhookData = this.getWorkflowStaticData('node');
				if (webhookData.webhookId !== undefined) {
					const answer = await sendToImagior.call(
						this,
						'DELETE',
						`/api/v1/webhooks/${encodeURIComponent(String(webhookData.webhookId))}`,
						{ retries: 1 },
					);
					if (answer.statusCode >= 400 && answer.statusCode !== 404) return false;
					delete webhookData.webhookId;
					delete webhookData.secret;
				}
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		// create() keeps the subscription's secret; without it nothing can be trusted.
		const secret = this.getWorkflowStaticData('node').secret as string | undefined;
		const body = this.getBodyData();
		const request = this.getRequestObject() as unknown as { rawBody?: Buffer };
		// n8n keeps the bytes as received; re-serialising the parsed body is only a fallback.
		const raw = request.rawBody ? request.rawBody.toString('utf8') : JSON.stringify(body);
		if (!secret || !verifySignature(secret, this.getHeaderData() as IDataObject, raw)) {
			const response = this.getResponseObject();
			response.status(401).send('Invalid webhook signature').end();
			return { noWebhookResponse: true };
		}
		return { workflowData: [this.helpers.returnJsonArray(body)] };
	}
}

function wantedEvents(context: IHookFunctions): string[] {
	const events = context.getNodeParameter('events', ['image.completed']) as string[];
	return [...events].sort();
}

function sameSubscription(subscription: IDataObject, url: string, events: string[]): boolean {
	const theirs = [...((subscription.events as string[]) ?? [])].sort();
	return (
		subscription.url === url &&
		!subscription.disabled_at &&
		theirs.length === events.length &&
		theirs.every((event, i) => event === events[i])
	);
}

/** The Standard Webhooks check: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>, key = the whsec_ secret's base64 part. */
export function verifySignature(secret: string, headers: IDataObject, rawBody: string): boolean {
	const id = headers['webhook-id'];
	const timestamp = headers['webhook-timestamp'];
	const signatures = headers['webhook-signature'];
	if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
	const sentAt = Number(timestamp);
	if (!Number.isInteger(sentAt) || Math.abs(Date.now() / 1000 - sentAt) > TOLERANCE_SECONDS) return false;
	const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
	const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${rawBody}`).digest();
	return signatures.split(' ').some((entry) => {
		const [version, signature] = entry.split(',', 2);
		if (version !== 'v1' || !signature) return false;
		const given = Buffer.from(signature, 'base64');
		return given.length === expected.length && timingSafeEqual(given, expected);
	});
}
