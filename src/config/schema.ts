import { z } from 'zod';

/** A USD amount as people write it in config: 5, 0.25 or "12.50". Kept as text so money stays exact. */
const usdAmount = z
  .union([z.number().finite().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/, 'a decimal such as "12.50"')])
  .transform((value) => String(value));

const budgetWindow = z.enum(['day', 'week', 'month', 'total']);

/** A budget as written inside a module profile: applies to that module. */
export const moduleBudgetSchema = z.strictObject({
  window: budgetWindow,
  limitUsd: usdAmount,
});

/**
 * A pipeline module's defaults: pipeline code names only its module and its messages; fields the
 * request gives itself win. Unknown fields are request fields passed upstream as they are.
 */
export const moduleProfileSchema = z.looseObject({
  model: z.string().min(1).optional(),
  models: z.array(z.string().min(1)).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().positive().optional(),
  reasoning: z.looseObject({}).optional(),
  provider: z.looseObject({}).optional(),
  maxCostUsd: usdAmount.optional(),
  budget: moduleBudgetSchema.optional(),
});

export const tollgateConfigSchema = z.strictObject({
  openrouter: z
    .strictObject({
      apiKey: z.string().min(1).optional(),
      baseUrl: z.url({ protocol: /^https?$/ }).default('https://openrouter.ai/api/v1'),
      timeoutMs: z.number().int().positive().default(120_000),
      maxRetries: z.number().int().min(0).max(10).default(2),
    })
    .prefault({}),
  db: z
    .strictObject({
      url: z.string().min(1).default('./tollgate.db'),
      /**
       * SQLite durability. `normal` (WAL): a committed row survives any crash of the process
       * (SIGKILL included); the last moments could be lost only if the machine itself loses power.
       * `full` also survives that, at an fsync per commit (~2 ms on the hot path).
       */
      sqliteSync: z.enum(['normal', 'full']).default('normal'),
    })
    .prefault({}),
  gateway: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(8787),
      adminKey: z.string().min(16, 'at least 16 characters').optional(),
      corsOrigins: z.array(z.string().min(1)).default([]),
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .default(10 * 1024 * 1024),
      /** Total size of a request's headers; larger gets 431. */
      maxHeaderBytes: z
        .number()
        .int()
        .min(1024)
        .default(16 * 1024),
      /** Number of request headers; more gets 431. */
      maxHeaders: z.number().int().min(8).default(100),
      /** A client must send its headers within this time (slowloris), else 408. */
      headersTimeoutMs: z.number().int().positive().default(10_000),
      /** …and its whole request (headers and body) within this time, else 408. */
      requestTimeoutMs: z.number().int().positive().default(60_000),
      /** Concurrent streams one gateway key may hold open; more gets 429. */
      maxStreamsPerKey: z.number().int().positive().default(64),
      logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  /** Cap applied to any call that sets no max_tokens itself nor through its module, so no call runs unbounded. */
  defaultMaxTokens: z.number().int().positive().default(4096),
  lowBalanceWarningUsd: usdAmount.optional(),
  storeBodies: z
    .strictObject({
      enabled: z.boolean().default(false),
      retentionDays: z.number().int().positive().default(30),
    })
    .prefault({}),
  reconciler: z
    .strictObject({
      enabled: z.boolean().default(true),
      intervalMs: z.number().int().positive().default(1_000),
    })
    .prefault({}),
  modules: z.record(z.string().min(1), moduleProfileSchema).default({}),
});

export type TollgateConfig = z.output<typeof tollgateConfigSchema>;
export type ModuleProfile = z.output<typeof moduleProfileSchema>;
export type BudgetWindow = z.output<typeof budgetWindow>;
