import type { ProviderSpec } from './catalogue-types.ts';

function provider(
  slug: string,
  name: string,
  headquarters: string,
  finishStyle: ProviderSpec['finishStyle'],
  extra: Partial<ProviderSpec> = {},
): ProviderSpec {
  return {
    slug,
    name,
    headquarters,
    datacenters: [headquarters],
    privacyPolicyUrl: `https://${slug}.example.com/privacy`,
    termsOfServiceUrl: `https://${slug}.example.com/terms`,
    statusPageUrl: `https://status.${slug}.example.com`,
    finishStyle,
    supportsCancellation: true,
    fingerprints: false,
    ...extra,
  };
}

/** The providers the catalogue's endpoints are served by; display names as OpenRouter reports them. */
export const PROVIDERS: readonly ProviderSpec[] = [
  provider('openai', 'OpenAI', 'US', 'openai', {
    fingerprints: true,
    privacyPolicyUrl: 'https://openai.com/policies/privacy-policy/',
  }),
  provider('azure', 'Azure', 'US', 'openai', { fingerprints: true, datacenters: ['US', 'SE'] }),
  provider('anthropic', 'Anthropic', 'US', 'anthropic'),
  provider('amazon-bedrock', 'Amazon Bedrock', 'US', 'anthropic', { supportsCancellation: false }),
  provider('google-vertex', 'Google', 'US', 'google', {
    supportsCancellation: false,
    datacenters: ['US', 'BE'],
  }),
  provider('google-ai-studio', 'Google AI Studio', 'US', 'google', { supportsCancellation: false }),
  provider('deepinfra', 'DeepInfra', 'US', 'openai'),
  provider('together', 'Together', 'US', 'openai'),
  provider('groq', 'Groq', 'US', 'openai', { supportsCancellation: false }),
  provider('chutes', 'Chutes', 'US', 'openai'),
  provider('deepseek', 'DeepSeek', 'CN', 'openai'),
  provider('xai', 'xAI', 'US', 'openai'),
  provider('mistral', 'Mistral', 'FR', 'openai', { supportsCancellation: false }),
  provider('alibaba', 'Alibaba', 'CN', 'openai', { supportsCancellation: false }),
  provider('perplexity', 'Perplexity', 'US', 'openai', { supportsCancellation: false }),
];

/** The /providers entry. */
export function renderProvider(p: ProviderSpec): Record<string, unknown> {
  return {
    name: p.name,
    slug: p.slug,
    privacy_policy_url: p.privacyPolicyUrl,
    terms_of_service_url: p.termsOfServiceUrl,
    status_page_url: p.statusPageUrl,
    headquarters: p.headquarters,
    datacenters: p.datacenters,
  };
}
