import { z } from 'zod';
import { JsonObjectSchema, nullishNumber, nullishString, openEnum } from './schema-helpers.ts';

/** §3.8: an explicit prompt-caching breakpoint (Anthropic style). */
export const CacheControlSchema = z.looseObject({
  type: openEnum(['ephemeral']),
  ttl: openEnum(['5m', '1h']).optional(),
});

export const TextPartSchema = z.looseObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: CacheControlSchema.optional(),
  prompt_cache_breakpoint: z.looseObject({ mode: openEnum(['explicit']) }).optional(),
});

export const ImageUrlPartSchema = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({
    url: z.string(),
    detail: openEnum(['auto', 'low', 'high', 'original']).optional(),
  }),
});

export const FilePartSchema = z.looseObject({
  type: z.literal('file'),
  file: z.looseObject({
    filename: z.string().optional(),
    file_data: z.string().optional(),
    file_id: z.string().optional(),
  }),
});

export const InputAudioPartSchema = z.looseObject({
  type: z.literal('input_audio'),
  input_audio: z.looseObject({
    data: z.string(),
    format: openEnum(['wav', 'mp3', 'aiff', 'aac', 'ogg', 'flac', 'm4a', 'pcm16', 'pcm24']),
  }),
});

const VideoUrlSchema = z.looseObject({ url: z.string() });
export const VideoUrlPartSchema = z.looseObject({ type: z.literal('video_url'), video_url: VideoUrlSchema });
/** Legacy name of `video_url`, same payload. */
export const InputVideoPartSchema = z.looseObject({
  type: z.literal('input_video'),
  video_url: VideoUrlSchema,
});

export const ContentPartSchema = z.discriminatedUnion('type', [
  TextPartSchema,
  ImageUrlPartSchema,
  FilePartSchema,
  InputAudioPartSchema,
  VideoUrlPartSchema,
  InputVideoPartSchema,
]);
export type ContentPart = z.infer<typeof ContentPartSchema>;
export type TextPart = z.infer<typeof TextPartSchema>;

/** §4.2: a complete tool call (request history and non-streamed responses). */
export const ToolCallSchema = z.looseObject({
  id: z.string(),
  type: openEnum(['function']),
  index: z.number().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

/**
 * §4.2 reasoning_details entries. One permissive shape rather than a closed union: they must be
 * passed back unmodified, and new `type`s appear without notice.
 */
export const ReasoningDetailSchema = z.looseObject({
  type: openEnum([
    'reasoning.text',
    'reasoning.summary',
    'reasoning.encrypted',
    'reasoning.server_tool_call',
  ]),
  id: nullishString,
  format: nullishString,
  index: nullishNumber,
  text: nullishString,
  signature: nullishString,
  summary: nullishString,
  data: nullishString,
});
export type ReasoningDetail = z.infer<typeof ReasoningDetailSchema>;

/** url_citation and file annotations (§3.7, §4.2); other types pass through. */
export const AnnotationSchema = z.looseObject({
  type: openEnum(['url_citation', 'file']),
  url_citation: z
    .looseObject({
      url: z.string(),
      title: nullishString,
      content: nullishString,
      start_index: nullishNumber,
      end_index: nullishNumber,
    })
    .optional(),
  file: z
    .looseObject({ hash: z.string(), name: nullishString, content: z.array(JsonObjectSchema).nullish() })
    .optional(),
});
export type Annotation = z.infer<typeof AnnotationSchema>;

const TextContentSchema = z.union([z.string(), z.array(TextPartSchema)]);
const RichContentSchema = z.union([z.string(), z.array(ContentPartSchema)]);

export const SystemMessageSchema = z.looseObject({
  role: z.literal('system'),
  content: TextContentSchema,
  name: z.string().optional(),
});
export const DeveloperMessageSchema = z.looseObject({
  role: z.literal('developer'),
  content: TextContentSchema,
  name: z.string().optional(),
});
export const UserMessageSchema = z.looseObject({
  role: z.literal('user'),
  content: RichContentSchema,
  name: z.string().optional(),
});
export const AssistantMessageSchema = z.looseObject({
  role: z.literal('assistant'),
  content: RichContentSchema.nullish(),
  name: z.string().optional(),
  tool_calls: z.array(ToolCallSchema).optional(),
  refusal: nullishString,
  reasoning: nullishString,
  reasoning_content: nullishString,
  reasoning_details: z.array(ReasoningDetailSchema).optional(),
  annotations: z.array(AnnotationSchema).optional(),
});
export const ToolMessageSchema = z.looseObject({
  role: z.literal('tool'),
  tool_call_id: z.string(),
  content: RichContentSchema,
  name: z.string().optional(),
});

export const MessageSchema = z.discriminatedUnion('role', [
  SystemMessageSchema,
  DeveloperMessageSchema,
  UserMessageSchema,
  AssistantMessageSchema,
  ToolMessageSchema,
]);
export type Message = z.infer<typeof MessageSchema>;
