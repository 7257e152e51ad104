import { isObject, type JsonObject } from './json-util.ts';
import { generateFromPattern } from './pattern-gen.ts';
import type { Rng } from './rng.ts';
import { generatePhrase } from './text-gen.ts';

/**
 * Builds a JSON value that satisfies a JSON Schema (the subset structured outputs and tool
 * parameters use): objects with required/properties/additionalProperties/min/maxProperties,
 * arrays with items/prefixItems/min/maxItems/uniqueItems, enums and consts, string formats,
 * lengths and simple patterns, numbers and integers with bounds and multipleOf, booleans, null,
 * type unions, anyOf/oneOf/allOf and local $refs. Deterministic for a given generator state.
 */
export function generateFromSchema(schema: unknown, rng: Rng): unknown {
  return new SchemaWalker(schema, rng).value(schema, 0);
}

/** Beyond this depth optional properties and optional array items are left out, ending recursion. */
const MAX_DEPTH = 6;

class SchemaWalker {
  readonly #root: unknown;
  readonly #rng: Rng;

  constructor(root: unknown, rng: Rng) {
    this.#root = root;
    this.#rng = rng;
  }

  value(schema: unknown, depth: number): unknown {
    if (schema === false) return null;
    if (!isObject(schema)) return generatePhrase(this.#rng, 2);
    const resolved = this.#resolve(schema, depth);
    if ('const' in resolved) return resolved.const;
    if (Array.isArray(resolved.enum) && resolved.enum.length > 0) {
      const nonNull = resolved.enum.filter((v) => v !== null);
      return nonNull.length > 0 ? this.#rng.pick(nonNull) : null;
    }
    const variants = Array.isArray(resolved.anyOf) ? resolved.anyOf : resolved.oneOf;
    if (Array.isArray(variants) && variants.length > 0) {
      const preferred = variants.find((v) => !isNullSchema(v)) ?? variants[0];
      const { anyOf: _a, oneOf: _o, ...rest } = resolved;
      return this.value(mergeSchemas(rest, preferred), depth);
    }
    switch (pickType(resolved)) {
      case 'object':
        return this.#object(resolved, depth);
      case 'array':
        return this.#array(resolved, depth);
      case 'integer':
        return integerFor(resolved, this.#rng);
      case 'number':
        return numberFor(resolved, this.#rng);
      case 'boolean':
        return this.#rng.next() < 0.5;
      case 'null':
        return null;
      default:
        return stringFor(resolved, this.#rng);
    }
  }

  /** Follows $ref and folds allOf into one schema. */
  #resolve(schema: JsonObject, depth: number): JsonObject {
    let current = schema;
    for (let hops = 0; typeof current.$ref === 'string' && hops < 32; hops++) {
      const { $ref, ...rest } = current;
      const target = resolvePointer(this.#root, String($ref));
      current = mergeSchemas(rest, isObject(target) ? target : {});
    }
    if (Array.isArray(current.allOf)) {
      const { allOf, ...rest } = current;
      let merged: JsonObject = rest;
      for (const part of allOf)
        merged = mergeSchemas(merged, isObject(part) ? this.#resolve(part, depth) : {});
      current = merged;
    }
    return current;
  }

  #object(schema: JsonObject, depth: number): JsonObject {
    const out: JsonObject = {};
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
    for (const [key, propertySchema] of Object.entries(properties)) {
      if (required.has(key) || depth < MAX_DEPTH) out[key] = this.value(propertySchema, depth + 1);
    }
    // Required keys the schema does not describe still have to be present.
    for (const key of required)
      if (!(key in out)) out[key] = this.value(schema.additionalProperties, depth + 1);
    const minProperties = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
    if (schema.additionalProperties !== false) {
      for (let i = 0; Object.keys(out).length < minProperties; i++) {
        out[`extra_${i}`] = this.value(schema.additionalProperties, depth + 1);
      }
    }
    const maxProperties = typeof schema.maxProperties === 'number' ? schema.maxProperties : Infinity;
    for (const key of Object.keys(out)) {
      if (Object.keys(out).length <= maxProperties) break;
      if (!required.has(key)) delete out[key];
    }
    return out;
  }

  #array(schema: JsonObject, depth: number): unknown[] {
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
    const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
    const wanted = depth < MAX_DEPTH ? Math.max(minItems, prefix.length, this.#rng.int(1, 3)) : minItems;
    const count = Math.min(wanted, maxItems, schema.items === false ? prefix.length : Infinity);
    const out: unknown[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const itemSchema = i < prefix.length ? prefix[i] : schema.items;
      let item = this.value(itemSchema, depth + 1);
      if (schema.uniqueItems === true) {
        for (let attempt = 0; seen.has(JSON.stringify(item)) && attempt < 16; attempt++) {
          item = this.value(itemSchema, depth + 1);
        }
        item = makeUnique(item, seen, i);
        seen.add(JSON.stringify(item));
      }
      out.push(item);
    }
    if (isObject(schema.contains) && out.length > 0) out[0] = this.value(schema.contains, depth + 1);
    else if (isObject(schema.contains) && count < maxItems) out.push(this.value(schema.contains, depth + 1));
    return out;
  }
}

function makeUnique(item: unknown, seen: Set<string>, index: number): unknown {
  if (!seen.has(JSON.stringify(item))) return item;
  if (typeof item === 'string') return `${item} ${index}`;
  if (typeof item === 'number') return item + index;
  return item;
}

function isNullSchema(schema: unknown): boolean {
  return (
    isObject(schema) &&
    (schema.type === 'null' || (Array.isArray(schema.enum) && schema.enum.every((v) => v === null)))
  );
}

function pickType(schema: JsonObject): string {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const nonNull = type.find((t) => t !== 'null');
    return typeof nonNull === 'string' ? nonNull : 'null';
  }
  if (isObject(schema.properties) || 'additionalProperties' in schema || 'required' in schema)
    return 'object';
  if ('items' in schema || 'prefixItems' in schema || 'minItems' in schema) return 'array';
  if ('minimum' in schema || 'maximum' in schema || 'multipleOf' in schema) return 'number';
  return 'string';
}

/** Shallow merge that unions `required` and merges `properties`, enough for allOf and $ref siblings. */
function mergeSchemas(base: JsonObject, extra: unknown): JsonObject {
  if (!isObject(extra)) return base;
  const merged: JsonObject = { ...base, ...extra };
  if (isObject(base.properties) && isObject(extra.properties)) {
    merged.properties = { ...base.properties, ...extra.properties };
  }
  if (Array.isArray(base.required) && Array.isArray(extra.required)) {
    merged.required = [...new Set([...base.required, ...extra.required])];
  }
  return merged;
}

function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const path = ref
    .slice(1)
    .split('/')
    .filter((s) => s !== '');
  let node: unknown = root;
  for (const raw of path) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
  }
  return node;
}

function numberBounds(schema: JsonObject): {
  min: number;
  max: number;
  exclusiveMin: boolean;
  exclusiveMax: boolean;
} {
  let min = -Infinity;
  let max = Infinity;
  let exclusiveMin = false;
  let exclusiveMax = false;
  if (typeof schema.minimum === 'number') min = schema.minimum;
  if (typeof schema.maximum === 'number') max = schema.maximum;
  if (typeof schema.exclusiveMinimum === 'number' && schema.exclusiveMinimum >= min) {
    min = schema.exclusiveMinimum;
    exclusiveMin = true;
  }
  if (typeof schema.exclusiveMaximum === 'number' && schema.exclusiveMaximum <= max) {
    max = schema.exclusiveMaximum;
    exclusiveMax = true;
  }
  // Draft-4 style boolean exclusivity.
  if (schema.exclusiveMinimum === true) exclusiveMin = true;
  if (schema.exclusiveMaximum === true) exclusiveMax = true;
  return { min, max, exclusiveMin, exclusiveMax };
}

/**
 * Where a model's value would fall in a wide range: near zero, as counts, sizes and limits are
 * (zod's `.int()` bounds an integer by ±2^53; a model does not answer -9007199254740919).
 */
function likelyWindow(low: number, high: number): [number, number] {
  const start = Math.min(Math.max(0, low), high);
  return [start, Math.min(high, start + 100)];
}

function integerFor(schema: JsonObject, rng: Rng): number {
  const b = numberBounds(schema);
  let low = Number.isFinite(b.min) ? (b.exclusiveMin ? Math.floor(b.min) + 1 : Math.ceil(b.min)) : undefined;
  let high = Number.isFinite(b.max) ? (b.exclusiveMax ? Math.ceil(b.max) - 1 : Math.floor(b.max)) : undefined;
  if (low === undefined) low = high === undefined ? 0 : Math.min(0, high) - (high < 0 ? 10 : 0);
  if (high === undefined) high = low + 100;
  if (high >= low) [low, high] = likelyWindow(low, high);
  const step = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : 1;
  const first = Math.ceil(low / step);
  const last = Math.floor(high / step);
  if (last < first) return low;
  return rng.int(first, Math.min(last, first + 100)) * step;
}

function numberFor(schema: JsonObject, rng: Rng): number {
  const b = numberBounds(schema);
  if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0) {
    const step = schema.multipleOf;
    let first = Math.ceil((Number.isFinite(b.min) ? b.min : 0) / step);
    let last = Math.floor((Number.isFinite(b.max) ? b.max : first * step + 100 * step) / step);
    if (b.exclusiveMin && first * step <= b.min) first++;
    if (b.exclusiveMax && last * step >= b.max) last--;
    const k = last >= first ? rng.int(first, Math.min(last, first + 100)) : first;
    return Number((k * step).toPrecision(12));
  }
  let low = Number.isFinite(b.min) ? b.min : Number.isFinite(b.max) ? Math.min(0, b.max - 100) : 0;
  let high = Number.isFinite(b.max) ? b.max : low + 100;
  if (high >= low) [low, high] = likelyWindow(low, high);
  // A wide `number` is mostly a count or a size (a tool's max_output_tokens…): models answer
  // whole numbers there, and clients that read the field as an integer refuse anything else.
  const first = b.exclusiveMin ? Math.floor(low) + 1 : Math.ceil(low);
  const last = b.exclusiveMax ? Math.ceil(high) - 1 : Math.floor(high);
  if (high - low >= 2 && last >= first) return rng.int(first, last);
  let value = Math.round((low + rng.next() * (high - low)) * 100) / 100;
  if (value < low || (b.exclusiveMin && value <= low)) value = b.exclusiveMin ? midpoint(low, high) : low;
  if (value > high || (b.exclusiveMax && value >= high)) value = b.exclusiveMax ? midpoint(low, high) : high;
  return value;
}

function midpoint(low: number, high: number): number {
  return low + (high - low) / 2;
}

function stringFor(schema: JsonObject, rng: Rng): string {
  let value: string | undefined;
  if (typeof schema.pattern === 'string') value = generateFromPattern(schema.pattern, rng);
  if (value === undefined) value = formatted(typeof schema.format === 'string' ? schema.format : '', rng);
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  while ([...value].length < minLength) value += ` ${generatePhrase(rng, 1)}`;
  if ([...value].length > maxLength) value = [...value].slice(0, maxLength).join('');
  return value;
}

function formatted(format: string, rng: Rng): string {
  const n = rng.int(1, 999);
  const pad = (v: number) => String(v).padStart(2, '0');
  const date = `20${pad(rng.int(20, 29))}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`;
  const time = `${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}:${pad(rng.int(0, 59))}Z`;
  switch (format) {
    case 'date-time':
      return `${date}T${time}`;
    case 'date':
      return date;
    case 'time':
      return time;
    case 'duration':
      return `P${rng.int(1, 30)}D`;
    case 'email':
    case 'idn-email':
      return `user${n}@example.com`;
    case 'uri':
    case 'url':
    case 'iri':
      return `https://example.com/item/${n}`;
    case 'uri-reference':
    case 'iri-reference':
      return `/item/${n}`;
    case 'hostname':
    case 'idn-hostname':
      return `host${n}.example.com`;
    case 'ipv4':
      return `192.0.2.${n % 256}`;
    case 'ipv6':
      return `2001:db8::${n.toString(16)}`;
    case 'uuid':
      return uuidFrom(rng);
    case 'regex':
      return '^[a-z]+$';
    default:
      return generatePhrase(rng, rng.int(2, 4));
  }
}

function uuidFrom(rng: Rng): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(rng.next() * 16).toString(16);
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
}
