import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateFromSchema } from './json-schema-gen.ts';
import { generateFromPattern } from './pattern-gen.ts';
import { createRng } from './rng.ts';

/** JSON Schemas as structured outputs and tool parameters use them; zod validates independently. */
const SCHEMAS: Record<string, Record<string, unknown>> = {
  flat: {
    type: 'object',
    properties: { name: { type: 'string' }, age: { type: 'integer' }, active: { type: 'boolean' } },
    required: ['name', 'age', 'active'],
    additionalProperties: false,
  },
  invoice: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      issued: { type: 'string', format: 'date' },
      due: { type: 'string', format: 'date-time' },
      currency: { type: 'string', enum: ['EUR', 'USD', 'GBP'] },
      total: { type: 'number', minimum: 0, maximum: 10000 },
      lines: {
        type: 'array',
        minItems: 2,
        maxItems: 5,
        items: {
          type: 'object',
          properties: {
            sku: { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' },
            qty: { type: 'integer', minimum: 1, maximum: 99 },
            price: { type: 'number', exclusiveMinimum: 0, multipleOf: 0.01 },
          },
          required: ['sku', 'qty', 'price'],
          additionalProperties: false,
        },
      },
      note: { type: ['string', 'null'] },
    },
    required: ['id', 'issued', 'due', 'currency', 'total', 'lines', 'note'],
    additionalProperties: false,
  },
  formats: {
    type: 'object',
    properties: {
      email: { type: 'string', format: 'email' },
      url: { type: 'string', format: 'uri' },
      ipv4: { type: 'string', format: 'ipv4' },
      ipv6: { type: 'string', format: 'ipv6' },
      time: { type: 'string', format: 'time' },
      duration: { type: 'string', format: 'duration' },
    },
    required: ['email', 'url', 'ipv4', 'ipv6', 'time', 'duration'],
  },
  lengths: {
    type: 'object',
    properties: {
      code: { type: 'string', minLength: 10, maxLength: 12 },
      tags: {
        type: 'array',
        items: { type: 'string', enum: ['a', 'b', 'c', 'd'] },
        minItems: 3,
        uniqueItems: true,
      },
      tiny: { type: 'string', maxLength: 2 },
    },
    required: ['code', 'tags', 'tiny'],
  },
  numbers: {
    type: 'object',
    properties: {
      pct: { type: 'number', minimum: 0, maximum: 1 },
      neg: { type: 'integer', maximum: -5 },
      step: { type: 'integer', minimum: 10, maximum: 100, multipleOf: 7 },
      open: { type: 'number', exclusiveMinimum: 1, exclusiveMaximum: 2 },
    },
    required: ['pct', 'neg', 'step', 'open'],
  },
  nullableAnyOf: {
    type: 'object',
    properties: {
      maybe: { anyOf: [{ type: 'string', format: 'email' }, { type: 'null' }] },
      either: { oneOf: [{ type: 'integer', minimum: 5 }, { type: 'boolean' }] },
    },
    required: ['maybe', 'either'],
  },
  refsAndDefs: {
    $defs: {
      address: {
        type: 'object',
        properties: { street: { type: 'string' }, zip: { type: 'string', pattern: '^\\d{5}$' } },
        required: ['street', 'zip'],
        additionalProperties: false,
      },
    },
    type: 'object',
    properties: { home: { $ref: '#/$defs/address' }, work: { $ref: '#/$defs/address' } },
    required: ['home', 'work'],
  },
  recursiveTree: {
    $defs: {
      node: {
        type: 'object',
        properties: {
          label: { type: 'string' },
          children: { type: 'array', items: { $ref: '#/$defs/node' } },
        },
        required: ['label', 'children'],
      },
    },
    $ref: '#/$defs/node',
  },
  allOf: {
    allOf: [
      { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
      { type: 'object', properties: { b: { const: 42 } }, required: ['b'] },
    ],
  },
  mapLike: {
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 0 },
    minProperties: 2,
  },
  topLevelArray: { type: 'array', items: { type: 'string', format: 'date' }, minItems: 1 },
  tuple: {
    type: 'array',
    prefixItems: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }],
    items: false,
  },
  enumOnly: { enum: ['red', 'green', null] },
  emptyObject: { type: 'object', properties: {} },
};

describe('schema-satisfying JSON', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`satisfies ${name} for many seeds`, () => {
      const validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
      for (let seed = 1; seed <= 40; seed++) {
        const value = generateFromSchema(schema, createRng(seed));
        const result = validator.safeParse(value);
        if (!result.success)
          throw new Error(`${name} seed ${seed}: ${JSON.stringify(value)}\n${result.error.message}`);
        // Structured outputs are sent as JSON text: the value must survive a round trip.
        expect(JSON.parse(JSON.stringify(value))).toEqual(value);
      }
    });
  }

  it('satisfies schemas produced by zod.toJSONSchema (how apps define structured outputs)', () => {
    const Invoice = z.object({
      customer: z.object({ name: z.string().min(1), email: z.email(), vip: z.boolean() }),
      items: z
        .array(
          z.object({
            title: z.string(),
            amount: z.number().positive().max(500),
            count: z.int().min(1).max(9),
          }),
        )
        .min(1),
      status: z.enum(['draft', 'sent', 'paid']),
      discount: z.number().min(0).max(0.5).nullable(),
      tags: z.array(z.string()).max(3),
      createdAt: z.iso.datetime(),
    });
    const schema = z.toJSONSchema(Invoice);
    for (let seed = 1; seed <= 40; seed++) {
      const value = generateFromSchema(schema, createRng(seed));
      expect(Invoice.safeParse(value).success, JSON.stringify(value)).toBe(true);
    }
  });

  it('answers numbers as a model would: counts near zero, whole where the range is wide', () => {
    // zod's .int() bounds by ±2^53; Codex reads a tool's `number` max_output_tokens as an integer.
    const schema = z.toJSONSchema(
      z.object({
        servings: z.number().int(),
        max_output_tokens: z.number(),
        ratio: z.number().min(0).max(1),
      }),
    );
    for (let seed = 0; seed < 200; seed++) {
      const value = generateFromSchema(schema, createRng(seed)) as Record<string, number>;
      expect(value.servings).toBeGreaterThanOrEqual(0);
      expect(value.servings).toBeLessThanOrEqual(100);
      expect(Number.isInteger(value.max_output_tokens)).toBe(true);
      expect(value.ratio).toBeGreaterThanOrEqual(0);
      expect(value.ratio).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic for a seed and varies across seeds', () => {
    const schema = SCHEMAS.invoice;
    expect(generateFromSchema(schema, createRng(3))).toEqual(generateFromSchema(schema, createRng(3)));
    expect(generateFromSchema(schema, createRng(3))).not.toEqual(generateFromSchema(schema, createRng(4)));
  });
});

describe('pattern strings', () => {
  it('matches simple patterns and gives up on unsupported ones', () => {
    for (const pattern of [
      '^[A-Z]{3}-\\d{4}$',
      '^(foo|bar)_[a-z0-9]+$',
      '^\\w{2,5}@example\\.com$',
      '^#[0-9a-fA-F]{6}$',
      'x?y*z+',
    ]) {
      for (let seed = 0; seed < 20; seed++) {
        const value = generateFromPattern(pattern, createRng(seed));
        expect(value, pattern).toBeDefined();
        expect(new RegExp(pattern).test(value ?? '')).toBe(true);
      }
    }
    expect(generateFromPattern('^[^a]+$', createRng(1))).toBeUndefined();
    expect(generateFromPattern('(unclosed', createRng(1))).toBeUndefined();
  });
});
