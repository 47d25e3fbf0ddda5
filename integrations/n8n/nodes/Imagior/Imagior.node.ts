import type {
	IDataObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeExecutionData,
	INodePropertyOptions,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { imagiorRequest, newIdempotencyKey } from '../shared/transport';

const MIME_TYPES: Record<string, string> = {
	png: 'image/png',
	jpeg: 'image/jpeg',
	webp: 'image/webp',
	pdf: 'application/pdf',
};

export class Imagior implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Imagior',
		name: 'imagior',
		icon: 'file:imagior.svg',
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"] === "get" ? "Get image" : "Render image"}}',
		description: 'Render images from your Imagior templates',
		defaults: {
			name: 'Imagior',
		},
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{
				name: 'imagiorApi',
				required: true,
			},
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Render Image',
						value: 'render',
						action: 'Render an image',
						description: 'Render a template with your changes (one credit with a live key)',
					},
					{
						name: 'Get Image',
						value: 'get',
						action: 'Get an image',
						description: 'Read an image by its ID',
					},
				],
				default: 'render',
			},
			{
				displayName: 'Template Name or ID',
				name: 'template',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getTemplates' },
				required: true,
				default: '',
				description:
					'The template to render. Choose from the list, or specify an ID (tpl_…) using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
				displayOptions: { show: { operation: ['render'] } },
			},
			{
				displayName: 'Modifications Input',
				name: 'modificationsMode',
				type: 'options',
				options: [
					{
						name: 'Key / Value',
						value: 'keyValue',
						description: 'One row per change: "title" sets the text, "title.color" a field',
					},
					{
						name: 'JSON',
						value: 'json',
						description: 'A list, a map of elements or a flat map, as the API accepts it',
					},
				],
				default: 'keyValue',
				displayOptions: { show: { operation: ['render'] } },
			},
			{
				displayName: 'Modifications',
				name: 'modificationsUi',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				placeholder: 'Add Modification',
				default: {},
				displayOptions: { show: { operation: ['render'], modificationsMode: ['keyValue'] } },
				options: [
					{
						name: 'values',
						displayName: 'Modification',
						values: [
							{
								displayName: 'Key',
								name: 'key',
								type: 'string',
								default: '',
								placeholder: 'title or title.color',
								description:
									"An element's name (sets its text, picture URL or QR code value) or element.field",
							},
							{
								displayName: 'Value',
								name: 'value',
								type: 'string',
								default: '',
							},
						],
					},
				],
			},
			{
				displayName: 'Modifications (JSON)',
				name: 'modificationsJson',
				type: 'json',
				default: '{}',
				placeholder: '{"title": "Hello", "title.color": "#ffffff"}',
				displayOptions: { show: { operation: ['render'], modificationsMode: ['json'] } },
			},
			{
				displayName: 'Image ID',
				name: 'imageId',
				type: 'string',
				required: true,
				default: '',
				placeholder: 'img_…',
				displayOptions: { show: { operation: ['get'] } },
			},
			{
				displayName: 'Download Image',
				name: 'download',
				type: 'boolean',
				default: false,
				description: 'Whether to put the image file in the binary data of the output item',
			},
			{
				displayName: 'Put Output File in Field',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
				displayOptions: { show: { download: [true] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				displayOptions: { show: { operation: ['render'] } },
				options: [
					{
						displayName: 'Format',
						name: 'format',
						type: 'options',
						options: [
							{ name: 'PNG', value: 'png' },
							{ name: 'JPEG', value: 'jpeg' },
							{ name: 'WebP', value: 'webp' },
							{ name: 'PDF', value: 'pdf' },
						],
						default: 'png',
					},
					{
						displayName: 'Scale',
						name: 'scale',
						type: 'number',
						typeOptions: { minValue: 0.1, maxValue: 4, numberPrecision: 2 },
						default: 1,
						description: "Multiplies the template's pixel size",
					},
					{
						displayName: 'Quality',
						name: 'quality',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 100 },
						default: 90,
						description: 'For JPEG and WebP',
					},
					{
						displayName: 'Metadata (JSON)',
						name: 'metadata',
						type: 'json',
						default: '{}',
						description: 'Your own key/value pairs, kept with the image',
					},
				],
			},
		],
	};

	methods = {
		loadOptions: {
			async getTemplates(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
				const page = await imagiorRequest.call(this, 'GET', '/api/v1/templates', {
					qs: { limit: 100 },
					retries: 1,
				});
				const templates = (page.results ?? []) as IDataObject[];
				return templates.map((template) => ({
					name: String(template.name),
					value: String(template.id),
					description: `${String(template.width)}×${String(template.height)}`,
				}));
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const output: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const operation = this.getNodeParameter('operation', itemIndex) as string;
				let image: IDataObject;
				if (operation === 'render') {
					image = await imagiorRequest.call(this, 'POST', '/api/v1/images', {
						body: renderBody(this, itemIndex),
						idempotencyKey: newIdempotencyKey(),
						retries: 1,
						itemIndex,
					});
				} else if (operation === 'get') {
					const imageId = String(this.getNodeParameter('imageId', itemIndex)).trim();
					image = await imagiorRequest.call(
						this,
						'GET',
						`/api/v1/images/${encodeURIComponent(imageId)}`,
						{ retries: 1, itemIndex },
					);
				} else {
					throw new NodeOperationError(this.getNode(), `Unknown operation "${operation}"`, {
						itemIndex,
					});
				}
				const result: INodeExecutionData = { json: image, pairedItem: { item: itemIndex } };
				if (this.getNodeParameter('download', itemIndex, false) as boolean) {
					const field = this.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
					result.binary = { [field]: await downloadImage(this, image, itemIndex) };
				}
				output.push(result);
			} catch (error) {
				if (this.continueOnFail()) {
					output.push({ json: { error: (error as Error).message }, pairedItem: { item: itemIndex } });
					continue;
				}
				throw error;
			}
		}
		return [output];
	}
}

function parseJson(context: IExecuteFunctions, value: unknown, name: string, itemIndex: number): unknown {
	if (typeof value !== 'string') return value;
	if (value.trim() === '') return undefined;
	try {
		return JSON.parse(value);
	} catch {
		throw new NodeOperationError(context.getNode(), `${name} is not valid JSON`, { itemIndex });
	}
}

function renderBody(context: IExecuteFunctions, itemIndex: number): IDataObject {
	const body: IDataObject = { template: context.getNodeParameter('template', itemIndex) as string };
	const mode = context.getNodeParameter('modificationsMode', itemIndex, 'keyValue') as string;
	if (mode === 'json') {
		const raw = context.getNodeParameter('modificationsJson', itemIndex, '{}');
		const modifications = parseJson(context, raw, 'Modifications (JSON)', itemIndex);
		if (modifications !== undefined) body.modifications = modifications as IDataObject;
	} else {
		const rows = context.getNodeParameter('modificationsUi.values', itemIndex, []) as IDataObject[];
		const flat: IDataObject = {};
		for (const row of rows) {
			const key = String(row.key ?? '').trim();
			if (key) flat[key] = row.value as string;
		}
		body.modifications = flat;
	}
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	for (const name of ['format', 'scale', 'quality']) {
		if (options[name] !== undefined) body[name] = options[name];
	}
	if (options.metadata !== undefined) {
		const metadata = parseJson(context, options.metadata, 'Metadata (JSON)', itemIndex);
		if (metadata !== undefined) body.metadata = metadata as IDataObject;
	}
	return body;
}

async function downloadImage(context: IExecuteFunctions, image: IDataObject, itemIndex: number) {
	if (!image.url) {
		throw new NodeOperationError(context.getNode(), `Image ${String(image.id)} has no file yet (status ${String(image.status)})`, {
			itemIndex,
		});
	}
	// The image URL is public and unguessable: no credentials go with it.
	const answer = await context.helpers.httpRequest({
		method: 'GET',
		url: String(image.url),
		encoding: 'arraybuffer',
		returnFullResponse: true,
		timeout: 120_000,
	});
	const format = String(image.format ?? 'png');
	const mimeType = String(answer.headers?.['content-type'] ?? MIME_TYPES[format] ?? 'application/octet-stream');
	return context.helpers.prepareBinaryData(
		Buffer.from(answer.body as ArrayBuffer),
		`${String(image.id)}.${format}`,
		mimeType.split(';')[0],
	);
}
