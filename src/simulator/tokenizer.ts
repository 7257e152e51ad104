import { isObject, stringField } from './json-util.ts';
import { hashString } from './rng.ts';

/**
 * A deterministic stand-in for a real tokenizer: about four characters per token, a fixed cost
 * per media part and a few tokens of framing per message. Good enough for billing to move with
 * prompt size, and predictable enough for tests to compute by hand.
 */
export const CHARS_PER_TOKEN = 4;
export const MESSAGE_OVERHEAD_TOKENS = 4;
export const REPLY_PRIMING_TOKENS = 3;
export const IMAGE_PART_TOKENS = 85;
export const FILE_PART_TOKENS = 512;
export const AUDIO_PART_TOKENS = 100;
export const VIDEO_PART_TOKENS = 300;

export function countTextTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Cumulative token count and content hash after each message, for prompt-cache prefixes. */
export interface PrefixBoundary {
  hash: number;
  tokens: number;
}

export interface PromptStats {
  /** Total prompt tokens, framing and tool/schema definitions included. */
  tokens: number;
  images: number;
  audio: number;
  video: number;
  files: number;
  /** One entry per message. */
  boundaries: PrefixBoundary[];
  /** Hash of every message's role and content: seeds the answer. */
  hash: number;
  /** Text of the last message, for moderation metadata and echoes. */
  lastText: string;
  lastRole: string;
  /** Any `cache_control` marker on a part (explicit caching requested). */
  cacheControl: boolean;
}

/** Media URLs can be megabytes of base64; hashing a bounded slice keeps the hot path cheap. */
const MEDIA_HASH_CHARS = 256;

export function analyzeMessages(messages: readonly unknown[], extraTokens: number): PromptStats {
  const stats: PromptStats = {
    tokens: 0,
    images: 0,
    audio: 0,
    video: 0,
    files: 0,
    boundaries: [],
    hash: 0x811c9dc5,
    lastText: '',
    lastRole: '',
    cacheControl: false,
  };
  let tokens = 0;
  let hash = stats.hash;
  for (const message of messages) {
    if (!isObject(message)) continue;
    const role = stringField(message, 'role') ?? 'user';
    hash = hashString(role, hash);
    tokens += MESSAGE_OVERHEAD_TOKENS;
    const name = stringField(message, 'name');
    if (name !== undefined) tokens += countTextTokens(name);
    let text = '';
    const content = message.content;
    if (typeof content === 'string') {
      text = content;
      tokens += countTextTokens(content);
      hash = hashString(content, hash);
    } else if (Array.isArray(content)) {
      for (const part of content) {
        if (!isObject(part)) continue;
        if (isObject(part.cache_control)) stats.cacheControl = true;
        const counted = countPart(part, stats);
        tokens += counted.tokens;
        hash = hashString(counted.key, hash);
        if (counted.text !== '') text = text === '' ? counted.text : `${text}\n${counted.text}`;
      }
    }
    const toolCalls = message.tool_calls;
    if (Array.isArray(toolCalls)) {
      for (const call of toolCalls) {
        const fn = isObject(call) ? call.function : undefined;
        if (!isObject(fn)) continue;
        const callText = `${stringField(fn, 'name') ?? ''}${stringField(fn, 'arguments') ?? ''}`;
        tokens += countTextTokens(callText);
        hash = hashString(callText, hash);
      }
    }
    stats.boundaries.push({ hash, tokens });
    stats.lastText = text;
    stats.lastRole = role;
  }
  stats.tokens = tokens + REPLY_PRIMING_TOKENS + extraTokens;
  stats.hash = hash;
  return stats;
}

function countPart(
  part: Record<string, unknown>,
  stats: PromptStats,
): { tokens: number; key: string; text: string } {
  const type = stringField(part, 'type');
  switch (type) {
    case 'text': {
      const text = stringField(part, 'text') ?? '';
      return { tokens: countTextTokens(text), key: text, text };
    }
    case 'image_url': {
      stats.images++;
      return { tokens: IMAGE_PART_TOKENS, key: `image:${mediaKey(part.image_url)}`, text: '' };
    }
    case 'file': {
      stats.files++;
      return { tokens: FILE_PART_TOKENS, key: `file:${mediaKey(part.file)}`, text: '' };
    }
    case 'input_audio': {
      stats.audio++;
      return { tokens: AUDIO_PART_TOKENS, key: `audio:${mediaKey(part.input_audio)}`, text: '' };
    }
    case 'video_url':
    case 'input_video': {
      stats.video++;
      return { tokens: VIDEO_PART_TOKENS, key: `video:${mediaKey(part.video_url)}`, text: '' };
    }
    default:
      return { tokens: 0, key: String(type), text: '' };
  }
}

function mediaKey(value: unknown): string {
  if (!isObject(value)) return '';
  const source =
    stringField(value, 'url') ??
    stringField(value, 'file_data') ??
    stringField(value, 'file_id') ??
    stringField(value, 'data') ??
    '';
  return `${source.length}:${source.slice(0, MEDIA_HASH_CHARS)}`;
}
