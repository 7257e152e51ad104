import { z } from 'zod';
import { REQUEST_STATUSES } from '../ledger/index.ts';
import { BUCKETS, RANGES } from './period.ts';

/** Epoch milliseconds, an ISO date-time with offset, or an ISO date (UTC midnight). */
const time = z.union([
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
  z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso)),
  z.iso.date().transform((day) => Date.parse(`${day}T00:00:00Z`)),
]);

/**
 * A filter value: the parameter repeated (`?module=a&module=b`) rather than comma-separated, so a
 * name containing a comma stays one name.
 */
const filterValues = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .pipe(z.array(z.string().min(1).max(256)).min(1).max(50));

const periodFields = {
  range: z.enum(RANGES).optional(),
  since: time.optional(),
  until: time.optional(),
};

export const SPEND_DIMENSIONS = ['module', 'model', 'user', 'provider'] as const;

export const periodQuery = z.strictObject(periodFields);
export const noQuery = z.strictObject({});

export const seriesQuery = z.strictObject({
  ...periodFields,
  groupBy: z.enum(SPEND_DIMENSIONS).default('module'),
  bucket: z.enum(BUCKETS).optional(),
});

export const topQuery = z.strictObject({
  ...periodFields,
  by: z.enum(SPEND_DIMENSIONS),
  limit: z
    .string()
    .regex(/^\d{1,4}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(50))
    .default(8),
});

export const requestsQuery = z.strictObject({
  ...periodFields,
  module: filterValues.optional(),
  user: filterValues.optional(),
  model: filterValues.optional(),
  provider: filterValues.optional(),
  status: z
    .union([z.enum(REQUEST_STATUSES), z.array(z.enum(REQUEST_STATUSES)).min(1).max(REQUEST_STATUSES.length)])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(500))
    .default(50),
});

/** Ledger ids are UUIDs (v7 in practice); anything else cannot name a row. */
export const requestIdParams = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'not a request id'),
});

export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/** Parses or throws a QueryError whose message names every problem (the route answers 400). */
export function parseQuery<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => `${issue.path.join('.') || what}: ${issue.message}`)
    .join('; ');
  throw new QueryError(`Invalid ${what}: ${problems}.`);
}
