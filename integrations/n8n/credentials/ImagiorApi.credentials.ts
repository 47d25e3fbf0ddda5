import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class ImagiorApi implements ICredentialType {
	name = 'imagiorApi';

	displayName = 'Imagior API';

	icon = 'file:../icons/imagior.svg' as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-imagior';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			placeholder: 'imk_live_…',
			description:
				'A live key (imk_live_…) renders for real and spends credits; a test key (imk_test_…) renders free, watermarked sandbox images',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'https://imagior.example.com',
			description: 'Where your Imagior server answers, without /api/v1',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/api/v1/account',
			method: 'GET',
		},
	};
}
