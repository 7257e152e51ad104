import type { ModelSpec } from './catalogue-types.ts';

/** Shared building blocks of the simulated catalogue. */
export const SAMPLING = [
  'max_tokens',
  'temperature',
  'top_p',
  'stop',
  'frequency_penalty',
  'presence_penalty',
  'seed',
];
export const OPENAI_PARAMS = [
  ...SAMPLING,
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'response_format',
  'structured_outputs',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
];
export const OPEN_WEIGHTS = [
  ...SAMPLING,
  'top_k',
  'min_p',
  'repetition_penalty',
  'response_format',
  'tools',
  'tool_choice',
];
export const REASONING = ['reasoning', 'include_reasoning'];
export const ANTHROPIC_PARAMS = [
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop',
  'tools',
  'tool_choice',
  'response_format',
  'structured_outputs',
];
export const EFFORTS = ['minimal', 'low', 'medium', 'high'];

type Base = Omit<ModelSpec, 'id' | 'canonicalSlug' | 'name' | 'created' | 'pricing' | 'endpoints'>;

const CHAT_BASE: Base = {
  description: '',
  contextLength: 128000,
  maxCompletionTokens: 16384,
  inputModalities: ['text'],
  outputModalities: ['text'],
  tokenizer: 'Other',
  instructType: null,
  supportedParameters: SAMPLING,
  defaultParameters: {},
  isModerated: false,
  perRequestLimits: null,
  knowledgeCutoff: null,
  huggingFaceId: null,
  caching: 'none',
};

export function model(
  spec: Pick<ModelSpec, 'id' | 'canonicalSlug' | 'name' | 'created' | 'pricing' | 'endpoints'> &
    Partial<Base>,
): ModelSpec {
  return { ...CHAT_BASE, description: `${spec.name} (simulated).`, ...spec };
}
