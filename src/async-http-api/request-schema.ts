import { dereference, OutputUnit, Schema, Validator } from '@cfworker/json-schema';
import { IConstruct } from 'constructs';
import { JSON_SCHEMA_2020_12_META_SCHEMAS } from './json-schema-meta';
import { PatternValidationError } from '../core/errors';

/** The dialect the submit handler validates bodies with (runtime/submit.handler.ts). */
export const REQUEST_SCHEMA_DRAFT = '2020-12';

let metaValidator: Validator | undefined;

/**
 * Fails synth, naming `prop` and the JSON path of each error, when `schema` is not a valid JSON
 * Schema (draft 2020-12) or when the submit handler's validator could not prepare it.
 *
 * The check uses the submit handler's own validator (@cfworker/json-schema) with the 2020-12
 * meta-schema. That validator evaluates `$recursiveRef` (2019-09) but not its 2020-12 successor
 * `$dynamicRef`, which the meta-schema uses only as `$dynamicRef: '#meta'` against
 * `$dynamicAnchor: 'meta'` on each document's root: the same "recurse into the extending
 * meta-schema" that `$recursiveRef: '#'` / `$recursiveAnchor: true` express, so the meta-schema
 * is read with that substitution and every subschema is checked.
 */
export function validateRequestSchema(scope: IConstruct, prop: string, schema: { [key: string]: any }): void {
  let copy: Schema;
  try {
    copy = JSON.parse(JSON.stringify(schema));
  } catch (error) {
    throw new PatternValidationError(scope, `${prop} must be JSON (an object of JSON values): ${(error as Error).message}`);
  }
  const result = metaSchemaValidator().validate(copy);
  if (!result.valid) {
    const byLocation = new Map<string, string[]>();
    for (const e of leafErrors(result.errors)) byLocation.set(e.instanceLocation, [...(byLocation.get(e.instanceLocation) ?? []), e.error.replace(/\.$/, '')]);
    const problems = [...byLocation].map(([at, messages]) => `${pathOf(prop, at)} is ${JSON.stringify(valueAt(copy, at))}: ${messages.join('; ')}`);
    throw new PatternValidationError(scope, `${prop} is not a valid JSON Schema (draft ${REQUEST_SCHEMA_DRAFT}): ${problems.join('; ')}`);
  }
  // The submit handler resolves `$ref`s when a body reaches them and fails that request: find them now.
  let lookup: Record<string, unknown>;
  try {
    lookup = dereference(copy);
  } catch (error) {
    throw new PatternValidationError(scope, `${prop} cannot be prepared by the request validator: ${(error as Error).message.split('\n')[0]}`);
  }
  const unresolved = unresolvedRefs(copy, lookup, '#');
  if (unresolved.length > 0) {
    throw new PatternValidationError(scope, `${prop} has $ref that resolve to no schema (only references within requestSchema work): `
      + unresolved.map(([at, ref]) => `${pathOf(prop, at)}/$ref: '${ref}'`).join('; '));
  }
}

/** `[location, $ref]` of every `$ref` the dereferenced schema cannot resolve. */
function unresolvedRefs(value: unknown, lookup: Record<string, unknown>, at: string): [string, string][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => unresolvedRefs(v, lookup, `${at}/${i}`));
  if (value === null || typeof value !== 'object') return [];
  const node = value as Record<string, unknown>;
  const found: [string, string][] = [];
  if (typeof node.$ref === 'string') {
    const uri = typeof node.__absolute_ref__ === 'string' ? node.__absolute_ref__ : node.$ref;
    if (!(uri in lookup)) found.push([at, node.$ref]);
  }
  for (const [key, child] of Object.entries(node)) {
    if (key.startsWith('__')) continue;
    if (key === 'enum' || key === 'const' || key === 'default' || key === 'examples') continue;
    found.push(...unresolvedRefs(child, lookup, `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  return found;
}

/** The value at a JSON pointer `#/a/b` of `root`. */
function valueAt(root: unknown, location: string): unknown {
  let value: unknown = root;
  for (const token of location.replace(/^#\/?/, '').split('/').filter((t) => t !== '')) {
    const key = decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/** `requestSchema/properties/name/type` for instance location `#/properties/name/type`. */
function pathOf(prop: string, instanceLocation: string): string {
  return `${prop}${instanceLocation.replace(/^#/, '')}`;
}

/**
 * The errors at the deepest locations: the validator also reports every enclosing keyword that
 * failed because of them ("A subschema had errors", "does not match"), which say nothing new.
 */
function leafErrors(errors: OutputUnit[]): OutputUnit[] {
  const located = errors.filter((e) => !errors.some((o) => o !== e && o.instanceLocation.startsWith(`${e.instanceLocation}/`)));
  const seen = new Set<string>();
  const leaves: OutputUnit[] = [];
  for (const e of located) {
    if (/A subschema had errors|does not match (every|any|all) subschema|does not match schema/.test(e.error)) continue;
    const key = `${e.instanceLocation} ${e.error}`;
    if (seen.has(key)) continue;
    seen.add(key);
    leaves.push(e);
  }
  return (leaves.length > 0 ? leaves : located).slice(0, 5);
}

function metaSchemaValidator(): Validator {
  if (!metaValidator) {
    const [root, ...vocabularies] = JSON_SCHEMA_2020_12_META_SCHEMAS.map((doc) => asRecursive(doc) as Schema);
    metaValidator = new Validator(root, '2019-09', false);
    for (const vocabulary of vocabularies) metaValidator.addSchema(vocabulary);
  }
  return metaValidator;
}

/** The meta-schema with `$dynamicRef: '#meta'` / `$dynamicAnchor: 'meta'` read as `$recursiveRef: '#'` / `$recursiveAnchor: true`. */
function asRecursive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asRecursive);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$dynamicRef' && child === '#meta') out.$recursiveRef = '#';
    else if (key === '$dynamicAnchor' && child === 'meta') out.$recursiveAnchor = true;
    else out[key] = asRecursive(child);
  }
  return out;
}
