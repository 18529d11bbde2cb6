import { Ajv, type ValidateFunction } from 'ajv';
import fc, { type Arbitrary } from 'fast-check';
import { DateTime } from 'luxon';
import { atLocalTime } from '../../src/tasks/recurrence.js';
import { deref as derefIn, loadContract, pointerTo, type Json } from './contract.js';
import { specOperations, type SpecOperation } from './spec-conformance.js';

// fast-check arbitraries built from the contract's own schemas, read from the bundled spec at run
// time: valid values, and invalid ones that each break the schema at one known place. Only the
// subset of OpenAPI 3.0 the spec uses is understood; any other keyword throws, so that a schema
// the generator cannot honour fails loudly instead of yielding wrong "valid" values.
// The last part holds what no schema says: the rules tasks' due fields, recurrence and tags keep
// together, which the server checks after the schema (with 400s as well).

export type Schema = { readonly [keyword: string]: unknown };

/** How values travel: a JSON body keeps its types; path and query parameters are text (an array: one text per item). */
export type Encoding = 'json' | 'text';

export type Breakage =
  | 'type'
  | 'missing'
  | 'extra' // JSON types and object members
  | 'too-long'
  | 'too-short'
  | 'pattern'
  | 'enum'
  | 'format' // strings
  | 'range'
  | 'fraction' // integers
  | 'too-many'
  | 'too-few'
  | 'duplicate'; // arrays

/** A value that breaks its schema at `pointer` (RFC 6901, relative to the value; `''` is the whole value). */
export interface Invalid {
  readonly value: unknown;
  readonly pointer: string;
  readonly breakage: Breakage;
}

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly schema: Schema;
}

export interface OperationSchemas extends SpecOperation {
  readonly parameters: Parameter[];
  /** The request body's schema by media type (empty without a body). */
  readonly bodies: Record<string, Schema>;
  readonly bodyRequired: boolean;
}

const spec = loadContract();

const KEYWORDS = new Set([
  'type',
  'nullable',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'description',
  'example',
  'default', // annotations: no effect on validity (`default` is also honoured below)
  'not', // rules between an object's members: values are kept to them (or broken on purpose), judged by ajv
  'oneOf',
  'discriminator', // a oneOf of objects told apart by a tag member (bulk actions by `op`)
]);
/** Specification extensions (`x-sdk-string`...) are annotations for tools: no effect on validity. */
const isExtension = (keyword: string) => keyword.startsWith('x-');

const INTEGER_FORMATS: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], // what a JSON number holds exactly
};

/** Arrays without `maxItems` are drawn up to this long. */
const UNBOUNDED_ITEMS = 10;

/**
 * Code points that trip text handling: NUL and controls, unpaired surrogates, invisible and
 * direction-changing characters, white space of several kinds, an astral and a combining
 * character, and letters whose case mapping changes their length or depends on context.
 */
const ODD_CODE_POINTS = [
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ufeff',
  '\u200b',
  '\u202e',
  ' ',
  '\t',
  '\n',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\u{1f600}',
  '\u0301',
  '\uffff',
  '\u0130',
  '\u00df',
  '\u1e9e',
  '\u03a3',
  '\u01c5',
  '\u212a',
];

const deref = (node: Json): Json => derefIn(spec, node);

/** The judge of an object's `not` rules: ajv, as the server's validator (their subschemas hold no `$ref`). */
const rulesJudge = new Ajv({ strict: false });
const ruleChecks = new WeakMap<object, ValidateFunction>();
/** Whether the value breaks one of the object's `not` rules (an object without rules breaks none). */
export function breaksRule(schema: Schema, value: unknown): boolean {
  const node = resolve(schema);
  if (node.not === undefined) return false;
  let check = ruleChecks.get(node);
  if (!check) ruleChecks.set(node, (check = rulesJudge.compile(node.not as object)));
  return check(value) === true;
}

function resolve(schema: Schema): Json {
  const node = withoutSingleAllOf(deref(schema));
  const unknown = Object.keys(node).filter((keyword) => !KEYWORDS.has(keyword) && !isExtension(keyword));
  if (unknown.length > 0) throw new Error(`schema-arbitraries: unsupported keywords ${unknown.join(', ')}`);
  return node;
}

/**
 * `allOf` of one schema beside annotations is how OpenAPI 3.0 describes a `$ref` in its own words
 * (`parent_id`: a task id, "make the task a subtask of this task"): the schema itself.
 */
function withoutSingleAllOf(node: Json): Json {
  const { allOf, ...annotations } = node as { allOf?: unknown } & Json;
  if (!Array.isArray(allOf) || allOf.length !== 1) return node;
  const unknown = Object.keys(annotations).filter((keyword) => !ANNOTATIONS.has(keyword));
  if (unknown.length > 0) throw new Error(`schema-arbitraries: allOf beside ${unknown.join(', ')}`);
  return { ...deref(allOf[0] as Json), ...annotations };
}

const ANNOTATIONS = new Set(['description', 'example']);

/** The operation's parameters and request body schemas, as the spec declares them. */
export function operationSchemas(operationId: string): OperationSchemas {
  const operation = specOperations().find((candidate) => candidate.operationId === operationId);
  if (!operation) throw new Error(`no operation ${operationId} in the spec`);
  const item = spec.paths[operation.path] as Json;
  const definition = item[operation.method.toLowerCase()] as Json;
  const parameters = [...(item.parameters ?? []), ...(definition.parameters ?? [])]
    .map(deref)
    .map((parameter): Parameter => ({
      name: parameter.name,
      in: parameter.in,
      required: parameter.required === true,
      schema: parameter.schema,
    }));
  const body = definition.requestBody ? deref(definition.requestBody) : undefined;
  const content = (body?.content ?? {}) as Record<string, Json>;
  const bodies = Object.fromEntries(
    Object.entries(content).map(([mediaType, media]) => [mediaType, media.schema as Schema]),
  );
  return { ...operation, parameters, bodies, bodyRequired: body?.required === true };
}

/** The operation's parameters in one location, as the closed object schema they form together. */
export function parametersSchema(operation: OperationSchemas, location: Parameter['in'], omit: string[] = []): Schema {
  const parameters = operation.parameters.filter(
    (parameter) => parameter.in === location && !omit.includes(parameter.name),
  );
  return {
    type: 'object',
    additionalProperties: false, // the spec rejects unknown query parameters
    properties: Object.fromEntries(parameters.map((parameter) => [parameter.name, parameter.schema])),
    required: parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name),
  };
}

/** A parameter's schema, by name. */
export function parameterSchema(operation: OperationSchemas, name: string): Schema {
  const parameter = operation.parameters.find((candidate) => candidate.name === name);
  if (!parameter) throw new Error(`${operation.operationId} has no parameter ${name}`);
  return parameter.schema;
}

/** The values a schema enumerates, in the spec's order. */
export function enumValues(schema: Schema): unknown[] {
  const values = resolve(schema).enum;
  if (!Array.isArray(values)) throw new Error('schema-arbitraries: no enum');
  return values;
}

/** The names of an object schema's members. */
export function propertyNames(schema: Schema): string[] {
  return Object.keys((resolve(schema).properties as Record<string, Schema> | undefined) ?? {});
}

/** The schema of an object schema's member `name` (through `$ref`s). */
export function propertySchema(schema: Schema, name: string): Schema {
  const property = (resolve(schema).properties as Record<string, Schema> | undefined)?.[name];
  if (!property) throw new Error(`schema-arbitraries: no property ${name}`);
  return property;
}

/** The object schema without some of its members (and never null): for values assembled from parts. */
export function withoutProperties(schema: Schema, names: readonly string[]): Schema {
  const { nullable: _nullable, default: _default, ...node } = resolve(schema);
  const properties = Object.entries(propertiesOf(node)).filter(([name]) => !names.includes(name));
  return {
    ...node,
    properties: Object.fromEntries(properties),
    required: ((node.required ?? []) as string[]).filter((name) => !names.includes(name)),
  };
}

/**
 * The schema's own example (or default), else each member's, or a union's first branch's: what a
 * reader of the spec would send first. Undefined where none is given. Members' examples may break
 * a rule between them (`due_date` and `due_at` together): nested objects then leave out the first
 * member whose absence keeps the rules, and so does the value itself unless `asGiven`.
 */
export function exampleValue(schema: Schema, asGiven = false): unknown {
  const node = resolve(schema);
  if (node.example !== undefined) return structuredClone(node.example);
  if (node.default !== undefined) return structuredClone(node.default);
  if (node.oneOf !== undefined) return exampleValue(branchesOf(node)[0]!);
  if (node.type === 'array' && node.items !== undefined) {
    const item = exampleValue(node.items as Schema);
    return item === undefined ? undefined : [item];
  }
  if (node.type !== 'object') return undefined;
  const members = Object.entries(propertiesOf(node))
    .map(([name, property]) => [name, exampleValue(property)] as const)
    .filter(([, value]) => value !== undefined);
  const value: Record<string, unknown> = Object.fromEntries(members);
  if (asGiven || !breaksRule(node, value)) return value;
  return Object.keys(value)
    .map((name) => Object.fromEntries(Object.entries(value).filter(([key]) => key !== name)))
    .find((candidate) => !breaksRule(node, candidate));
}

/** The value with every absent member that has a `default` set to it, at every depth: what the value means. */
export function withDefaults(schema: Schema, value: unknown): unknown {
  const node = resolve(schema);
  if (node.type !== 'object' || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const result: Record<string, unknown> = { ...value };
  for (const [name, property] of Object.entries(propertiesOf(node))) {
    if (Object.hasOwn(result, name)) result[name] = withDefaults(property, result[name]);
    else if (resolve(property).default !== undefined) result[name] = structuredClone(resolve(property).default);
  }
  return result;
}

/** Length as JSON Schema counts it (ajv too): in code points, an unpaired surrogate counting as one. */
const codePointLength = (text: string): number => [...text].length;

/** A typed value as text travels (a query array: one text per item). */
const encoded = (value: unknown, encoding: Encoding): unknown =>
  encoding === 'json' ? value : Array.isArray(value) ? value.map(String) : String(value);

type Weighted<T> = { arbitrary: Arbitrary<T>; weight: number };

/** Values the schema allows; `full`: every object with every member it may have, at every depth. */
export function validValue(schema: Schema, encoding: Encoding = 'json', full = false): Arbitrary<unknown> {
  const node = resolve(schema);
  let value = validOfType(node, encoding, full);
  // The default itself now and then: a value like any other, which the server must not mistake for "absent".
  if (node.default !== undefined)
    value = fc.oneof(
      { arbitrary: value, weight: 4 },
      { arbitrary: fc.constant(encoded(node.default, encoding)), weight: 1 },
    );
  return node.nullable === true && encoding === 'json' ? fc.oneof(value, fc.constant(null)) : value;
}

export function invalidValue(schema: Schema, encoding: Encoding = 'json'): Arbitrary<Invalid> {
  return fc.oneof(...invalidChoices(schema, encoding));
}

function invalidChoices(schema: Schema, encoding: Encoding): Weighted<Invalid>[] {
  const node = resolve(schema);
  if (node.oneOf !== undefined) return branchBreakages(node, encoding);
  const breakages: Weighted<Invalid>[] = encoding === 'json' ? [{ arbitrary: wrongType(node), weight: 1 }] : [];
  const plain = (arbitraries: Arbitrary<Invalid>[]) => arbitraries.map((arbitrary) => ({ arbitrary, weight: 1 }));
  switch (node.type) {
    case 'object':
      breakages.push(...objectBreakages(node, encoding));
      break;
    case 'array':
      breakages.push(...plain(arrayBreakages(node, encoding)));
      break;
    case 'string':
      breakages.push(...plain(stringBreakages(node, encoding)));
      break;
    case 'integer':
      breakages.push(...plain(integerBreakages(node, encoding)));
      break;
    case 'boolean':
      if (encoding === 'text') breakages.push(...plain([booleanTextBreakage()]));
      break;
  }
  return breakages;
}

function validOfType(node: Json, encoding: Encoding, full = false): Arbitrary<unknown> {
  if (node.oneOf !== undefined)
    return fc.oneof(...branchesOf(node).map((branch) => validValue(branch, encoding, full)));
  switch (node.type) {
    case 'object':
      return validObject(node, encoding, full);
    case 'array':
      return validArray(node, encoding, full);
    case 'string':
      return validString(node, encoding);
    case 'integer': {
      const value = validInteger(node);
      return encoding === 'text' ? value.map(String) : value;
    }
    case 'boolean':
      return encoding === 'text' ? fc.constantFrom('true', 'false') : fc.boolean();
    default:
      return unsupported(node, encoding);
  }
}

function unsupported(node: Json, encoding: Encoding): never {
  throw new Error(`schema-arbitraries: no ${encoding} values for type ${String(node.type)}`);
}

/** Text for a URL, where an unpaired surrogate cannot be encoded. */
const urlText = () => fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }));

/** Text that can travel in the encoding: a URL carries no unpaired surrogate (it would arrive as U+FFFD). */
const travels = (encoding: Encoding) => (text: string) => encoding === 'json' || text.isWellFormed();

const leaf =
  (breakage: Breakage) =>
  (value: unknown): Invalid => ({ value, pointer: '', breakage });

// oneOf: a union of closed objects told apart by a tag member (`discriminator`), the only kind the spec has.

function branchesOf(node: Json): Schema[] {
  if (!Array.isArray(node.oneOf) || (node.discriminator as Json | undefined)?.propertyName === undefined)
    throw new Error('schema-arbitraries: only a oneOf with a discriminator is supported');
  return node.oneOf as Schema[];
}

/** The tag value a branch stands for (its tag member's one enum value). */
const tagOf = (branch: Schema, tag: string) => (resolve(propertySchema(branch, tag)).enum as unknown[])[0];

/**
 * Each branch broken as a value of that branch: the validator judges a value by the branch its tag
 * names, so a tag broken into another branch's tag is a value of that other branch, not a breakage.
 */
function branchBreakages(node: Json, encoding: Encoding): Weighted<Invalid>[] {
  const tag = String((node.discriminator as Json).propertyName);
  const branches = branchesOf(node);
  const tags = branches.map((branch) => tagOf(branch, tag));
  return branches.map((branch) => ({
    arbitrary: invalidValue(branch, encoding).filter(({ value }) => {
      const given = (value as Json | null)?.[tag];
      return given === tagOf(branch, tag) || !tags.includes(given);
    }),
    weight: 1,
  }));
}

// Booleans as text: only `true` and `false` are booleans.

function booleanTextBreakage(): Arbitrary<Invalid> {
  const nearMisses = fc.constantFrom('', 'TRUE', 'False', '1', '0', 'yes', 'on', ' true', 'true ', 'null');
  return fc
    .oneof(nearMisses, urlText())
    .filter((text) => text !== 'true' && text !== 'false')
    .map(leaf('type'));
}

// Objects: closed (additionalProperties: false), as every request schema is.

function propertiesOf(node: Json): Record<string, Schema> {
  if (node.additionalProperties !== false) throw new Error('schema-arbitraries: only closed objects are supported');
  return (node.properties ?? {}) as Record<string, Schema>;
}

function validObject(node: Json, encoding: Encoding, full = false): Arbitrary<Record<string, unknown>> {
  const properties = propertiesOf(node);
  const model = Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => [name, validValue(schema, encoding, full)]),
  );
  const requiredKeys = full ? Object.keys(properties) : ((node.required ?? []) as string[]);
  const drawn = fc.record(model, { requiredKeys });
  // Every member it may have: those a rule refuses together (after_id and before_id) leave, the last first.
  const allowed = full ? drawn.map((value) => withoutRefusedMembers(node, value)) : drawn;
  return allowed.filter((value) => !breaksRule(node, value));
}

function withoutRefusedMembers(node: Json, value: Record<string, unknown>): Record<string, unknown> {
  const kept = { ...value };
  for (const name of Object.keys(kept).reverse()) {
    if (!breaksRule(node, kept)) break;
    if (!((node.required ?? []) as string[]).includes(name)) delete kept[name];
  }
  return kept;
}

function objectBreakages(node: Json, encoding: Encoding): Weighted<Invalid>[] {
  const properties = propertiesOf(node);
  const valid = validObject(node, encoding);
  const oneBroken = Object.entries(properties).map(([name, schema]) => ({
    arbitrary: fc.tuple(valid, invalidValue(schema, encoding)).map(([object, broken]): Invalid => ({
      value: { ...object, [name]: broken.value },
      pointer: `${pointerTo(name)}${broken.pointer}`,
      breakage: broken.breakage,
    })),
    // A member that is itself an object or array breaks in more ways: drawn more often, so that each way shows.
    weight: ['object', 'array'].includes(String(resolve(schema).type)) ? 3 : 1,
  }));
  const missing = ((node.required ?? []) as string[]).map((name) =>
    valid.map((object): Invalid => {
      const { [name]: _dropped, ...rest } = object;
      return { value: rest, pointer: pointerTo(name), breakage: 'missing' };
    }),
  );
  const names = encoding === 'json' ? fc.oneof(fc.string(), fc.string({ unit: 'binary' })) : urlText();
  const extraValue = encoding === 'json' ? fc.jsonValue({ maxDepth: 2 }) : urlText();
  const extra = fc
    .tuple(
      valid,
      names.filter((name) => !Object.hasOwn(properties, name)),
      extraValue,
    )
    // A computed key makes even `__proto__` an own property, as JSON.parse does on the server.
    .map(([object, name, value]): Invalid => ({
      value: { ...object, [name]: value },
      pointer: pointerTo(name),
      breakage: 'extra',
    }));
  // Broken at one place only: a broken member that happens to complete a rule between members is not drawn.
  return [...oneBroken, ...[...missing, extra].map((arbitrary) => ({ arbitrary, weight: 1 }))].map(
    ({ arbitrary, weight }) => ({ arbitrary: arbitrary.filter(({ value }) => !breaksRule(node, value)), weight }),
  );
}

// Arrays.

function itemCounts(node: Json): { min: number; max: number } {
  return {
    min: (node.minItems as number | undefined) ?? 0,
    max: (node.maxItems as number | undefined) ?? UNBOUNDED_ITEMS,
  };
}

/** Items compared as ajv's `uniqueItems` does, for the values drawn here (strings, numbers, null). */
const itemKey = (item: unknown) => JSON.stringify(item);

/**
 * A value drawn by fast-check, whose objects now and then have no prototype, with the usual one
 * at every depth (as JSON.parse makes them): ajv compares the items of a `uniqueItems` array with
 * fast-deep-equal, which calls their `valueOf`.
 */
const withPrototype = <T>(value: T): T => structuredClone(value);

function arrayOf(node: Json, items: Arbitrary<unknown>, minLength: number, maxLength: number): Arbitrary<unknown[]> {
  return node.uniqueItems === true
    ? fc.uniqueArray(items.map(withPrototype), { minLength, maxLength, selector: itemKey })
    : fc.array(items, { minLength, maxLength });
}

function validArray(node: Json, encoding: Encoding, full = false): Arbitrary<unknown[]> {
  const { min, max } = itemCounts(node);
  return arrayOf(node, validValue(node.items as Schema, encoding, full), min, max);
}

function arrayBreakages(node: Json, encoding: Encoding): Arbitrary<Invalid>[] {
  const { min, max } = itemCounts(node);
  const items = validValue(node.items as Schema, encoding);
  const insert = (array: unknown[], at: number, item: unknown) => {
    const copy = [...array];
    const index = at % (copy.length + 1);
    copy.splice(index, 0, item);
    return { array: copy, index };
  };
  const breakages: Arbitrary<Invalid>[] = [];
  if (max >= 1) {
    // Valid items around one broken item: the count stays within bounds.
    const around = arrayOf(node, items, Math.max(min - 1, 0), max - 1);
    breakages.push(
      fc.tuple(around, invalidValue(node.items as Schema, encoding), fc.nat()).map(([array, broken, at]): Invalid => {
        const { array: value, index } = insert(array, at, broken.value);
        return { value, pointer: `/${index}${broken.pointer}`, breakage: broken.breakage };
      }),
    );
  }
  // One to three items too many (repeating some when the items have fewer distinct values: the same place is broken).
  if (node.maxItems !== undefined)
    breakages.push(fc.array(items, { minLength: max + 1, maxLength: max + 3 }).map(leaf('too-many')));
  if (min > 0) breakages.push(arrayOf(node, items, min - 1, min - 1).map(leaf('too-few')));
  if (node.uniqueItems === true && max >= 2) {
    breakages.push(
      fc
        .tuple(arrayOf(node, items, Math.max(min - 1, 1), max - 1), fc.nat(), fc.nat())
        .map(([array, from, at]) => leaf('duplicate')(insert(array, at, array[from % array.length]).array)),
    );
  }
  if (node.uniqueItems !== true) return breakages;
  return breakages.map((breakage) => breakage.map((broken) => ({ ...broken, value: withPrototype(broken.value) })));
}

// Strings.

function lengthBounds(node: Json): { min: number; max: number } {
  return { min: (node.minLength as number | undefined) ?? 0, max: (node.maxLength as number | undefined) ?? Infinity };
}

function matcher(node: Json): (text: string) => boolean {
  // ajv compiles patterns with the `u` flag: classes then match code points, not UTF-16 units.
  const pattern = typeof node.pattern === 'string' ? new RegExp(node.pattern, 'u') : undefined;
  const format = node.format === undefined ? undefined : formatOf(node);
  return (text) => (pattern?.test(text) ?? true) && (format?.test(text) ?? true);
}

/** `text`'s code points repeated (or cut) to exactly `length` of them. */
function stretch(text: string, length: number): string {
  const points = [...text];
  return Array.from({ length }, (_, i) => points[i % points.length]).join('');
}

/**
 * fast-check cannot build text from a lookahead (`^(?!blank*$)...` says "not only blank"): text is
 * drawn from the rest of the pattern, and the `matches` filter then applies the whole of it.
 */
const withoutLookaheads = (pattern: string) => pattern.replace(/\(\?[=!](?:\\.|\[(?:\\.|[^\]])*\]|[^()])*\)/g, '');

function validString(node: Json, encoding: Encoding): Arbitrary<string> {
  if (Array.isArray(node.enum)) return fc.constantFrom(...(node.enum as string[]));
  const { min, max } = lengthBounds(node);
  const inBounds = (text: string) => codePointLength(text) >= min && codePointLength(text) <= max;
  if (node.format !== undefined)
    return formatOf(node)
      .valid()
      .filter((text) => inBounds(text) && matcher(node)(text));
  const matches = matcher(node);
  const plain =
    typeof node.pattern === 'string'
      ? fc.stringMatching(new RegExp(withoutLookaheads(node.pattern), 'u'), { size: 'medium' })
      : fc.string();
  const odd = fc.string({ unit: fc.constantFrom(...ODD_CODE_POINTS), maxLength: 3 });
  const short = fc.oneof(
    plain,
    fc.string({ unit: 'binary' }),
    // Odd code points around a plain value: white space to trim, invisible characters to keep.
    fc.tuple(odd, plain, odd).map((parts) => parts.join('')),
  );
  const longest = Number.isFinite(max)
    ? [{ arbitrary: short.filter((text) => text.length > 0).map((text) => stretch(text, max)), weight: 1 }]
    : [];
  return fc
    .oneof({ arbitrary: short, weight: 3 }, ...longest)
    .filter((text) => inBounds(text) && matches(text) && travels(encoding)(text));
}

function stringBreakages(node: Json, encoding: Encoding): Arbitrary<Invalid>[] {
  if (Array.isArray(node.enum)) {
    const allowed = node.enum as string[];
    return [
      fc
        .oneof(fc.string(), fc.string({ unit: 'binary' }))
        .filter((text) => !allowed.includes(text) && travels(encoding)(text))
        .map(leaf('enum')),
    ];
  }
  const { min, max } = lengthBounds(node);
  const inBounds = (text: string) => codePointLength(text) >= min && codePointLength(text) <= max;
  if (node.format !== undefined) {
    const format = formatOf(node);
    const breakages = [
      format
        .invalid()
        .filter((text) => inBounds(text) && travels(encoding)(text))
        .map(leaf('format')),
    ];
    // Of the format, but outside the pattern that narrows it (a due date's range).
    if (typeof node.pattern === 'string') {
      const outside = (text: string) => format.test(text) && inBounds(text) && !matcher(node)(text);
      breakages.push(fc.constantFrom(...format.edges.filter(outside)).map(leaf('pattern')));
    }
    // Well-formed, but longer than the schema allows (a date-time's fraction may be long).
    if (Number.isFinite(max) && format.longer)
      breakages.push(
        format
          .longer()
          .filter((text) => codePointLength(text) > max)
          .map(leaf('too-long')),
      );
    return breakages;
  }
  const matches = matcher(node);
  const valid = validString(node, encoding);
  const breakages: Arbitrary<Invalid>[] = [];
  if (Number.isFinite(max)) {
    // Otherwise valid text, 1 to `max` code points too long: only the length is wrong.
    const tooLong = fc
      .tuple(
        valid.filter((text) => text.length > 0),
        fc.integer({ min: 1, max }),
      )
      .map(([text, excess]) => stretch(text, max + excess));
    // A pattern that fixes the text's shape (a time of day, a duration) has no such text: the
    // length cannot be broken alone (a filter that never passes would never return).
    if (fc.sample(tooLong, { numRuns: 200, seed: 1 }).some(matches))
      breakages.push(tooLong.filter(matches).map(leaf('too-long')));
  }
  if (min > 0) breakages.push(valid.map((text) => stretch(text, min - 1)).map(leaf('too-short')));
  if (typeof node.pattern === 'string') {
    const odd = fc.constantFrom(...ODD_CODE_POINTS);
    const candidates = fc.oneof(
      fc.tuple(valid, fc.nat(), odd).map(([text, at, point]) => {
        const points = [...text];
        points.splice(at % (points.length + 1), 0, point);
        return points.join('');
      }),
      fc.string({ unit: odd, minLength: 1 }),
      fc.string({ unit: 'binary', minLength: 1 }),
    );
    breakages.push(
      candidates.filter((text) => inBounds(text) && !matches(text) && travels(encoding)(text)).map(leaf('pattern')),
    );
  }
  return breakages;
}

// Formats: `date` and `date-time` as RFC 3339 defines them and the server's validator checks them
// (ajv-formats in full mode: real calendar dates, an offset required, leap seconds only at 23:59:60 UTC).

interface Format {
  /** Whether the text is of the format. */
  test(text: string): boolean;
  valid(): Arbitrary<string>;
  /** Text that is not of the format: impossible values and wrong shapes. */
  invalid(): Arbitrary<string>;
  /** Values of the format longer than usual, if it has any. */
  longer?(): Arbitrary<string>;
  /** Values at the ends of the format's range, which a pattern may leave out. */
  readonly edges: readonly string[];
}

function formatOf(node: Json): Format {
  const format = FORMATS[String(node.format)];
  if (!format || node.type !== 'string')
    throw new Error(`schema-arbitraries: unsupported string format ${String(node.format)}`);
  return format;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');
const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysInMonth = (year: number, month: number) => (month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1]!);

/** Milliseconds since the epoch of a UTC date and time, for any year (Date.UTC maps years 0-99 to 1900-1999). */
function utcMillis(year: number, month: number, day: number, hours = 0, minutes = 0, seconds = 0, millis = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hours, minutes, seconds, millis);
  return date.getTime();
}

const DAY_MS = 86_400_000;
const formatDate = (year: number, month: number, day: number) => `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
/** The date `days` days after 1970-01-01 (negative: before), as RFC 3339 text. */
const dateOfDay = (days: number) => {
  const date = new Date(days * DAY_MS);
  return formatDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
};
/** The day number of an RFC 3339 date (`dateOfDay`'s inverse). */
const dayOfDate = (text: string) => {
  const [year, month, day] = text.split('-').map(Number) as [number, number, number];
  return Math.round(utcMillis(year, month, day) / DAY_MS);
};

const DATE_SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** RFC 3339 full-date: four-digit year (0000 included), and a day that exists in that month. */
export function isDate(text: string): boolean {
  const parts = DATE_SHAPE.exec(text);
  if (!parts) return false;
  const [year, month, day] = parts.slice(1).map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

const TIME_SHAPE = /^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)$/i;

/**
 * RFC 3339 date-time as the validator reads it: `T`, `t` or white space between date and time,
 * an offset required (`Z` or ±hh:mm, the colon optional), 23:59:60 only as a UTC leap second.
 */
export function isDateTime(text: string): boolean {
  const parts = text.split(/t|\s/i);
  if (parts.length !== 2 || !isDate(parts[0]!)) return false;
  const time = TIME_SHAPE.exec(parts[1]!);
  if (!time) return false;
  const [hours, minutes, seconds] = [Number(time[1]), Number(time[2]), Number(time[3])];
  const sign = time[5] === '-' ? -1 : 1;
  const [offsetHours, offsetMinutes] = [Number(time[6] ?? 0), Number(time[7] ?? 0)];
  if (offsetHours > 23 || offsetMinutes > 59) return false;
  if (hours <= 23 && minutes <= 59 && seconds < 60) return true;
  const utcMinutes = minutes - offsetMinutes * sign;
  const utcHours = hours - offsetHours * sign - (utcMinutes < 0 ? 1 : 0);
  return (utcHours === 23 || utcHours === -1) && (utcMinutes === 59 || utcMinutes === -1) && seconds < 61;
}

/** Years: the whole range, its two ends, and the years tasks are usually due in. */
const years = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 9999 }), weight: 3 },
  { arbitrary: fc.constantFrom(1, 9999), weight: 1 },
  { arbitrary: fc.integer({ min: 1970, max: 2100 }), weight: 2 },
);

interface DateParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Real dates; a day drawn past the month's end is its last day (Feb 29 in leap years), so month ends come often. */
const dateParts: Arbitrary<DateParts> = fc
  .record({ year: years, month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 31 }) })
  .map(({ year, month, day }) => ({ year, month, day: Math.min(day, daysInMonth(year, month)) }));

const validDate = () => dateParts.map(({ year, month, day }) => formatDate(year, month, day));

/** Four ASCII digits, dashes, and a month and day that do not exist together. */
const impossibleDate = () =>
  fc
    .oneof(
      fc
        .record({ year: years, month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 29, max: 31 }) })
        .filter(({ year, month, day }) => day > daysInMonth(year, month)),
      fc.record({
        year: years,
        month: fc.oneof(fc.constant(0), fc.integer({ min: 13, max: 99 })),
        day: fc.integer({ min: 1, max: 28 }),
      }),
      fc.record({
        year: years,
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.oneof(fc.constant(0), fc.integer({ min: 32, max: 99 })),
      }),
    )
    .map(({ year, month, day }) => formatDate(year, month, day));

const FULLWIDTH_DIGITS = (text: string) => text.replace(/\d/g, (digit) => String.fromCodePoint(0xff10 + Number(digit)));
const DATE_MUTATIONS: ((text: string) => string)[] = [
  (text) => text.replaceAll('-', '/'),
  (text) => text.replaceAll('-', ''),
  (text) => text.replace(/-0(\d)/g, '-$1'), // no zero padding
  (text) => text.slice(2), // two-digit year
  (text) => text.slice(0, 7), // year and month only
  (text) => text.slice(0, -1),
  (text) => `${text.slice(0, -1)}x`,
  (text) => ` ${text.slice(1)}`,
  FULLWIDTH_DIGITS,
  (text) => text.replace(/\d/, '\u0661'), // an Arabic-Indic digit
];

function invalidDate(): Arbitrary<string> {
  const misshapen = fc.tuple(validDate(), fc.constantFrom(...DATE_MUTATIONS)).map(([text, mutate]) => mutate(text));
  return fc
    .oneof(impossibleDate(), misshapen, fc.constantFrom('2026-02-30', '2027-02-29', '2026-13-01', '', 'today'))
    .filter((text) => !isDate(text));
}

const clockParts = fc.record({
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
});
const clockText = ({ hour, minute, second }: { hour: number; minute: number; second: number }) =>
  `${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
const digit = fc.constantFrom(...'0123456789');
/** A fraction of a second of `minDigits` (0: maybe none) to `maxDigits` digits. */
const fractionOf = (maxDigits: number, minDigits = 0) => {
  const digits = fc
    .string({ unit: digit, minLength: Math.max(minDigits, 1), maxLength: maxDigits })
    .map((text) => `.${text}`);
  return minDigits > 0 ? digits : fc.oneof(fc.constant(''), digits);
};
const separator = fc.constantFrom('T', 'T', 'T', 'T', 't', ' ');

/** Offsets in minutes east of UTC: the usual ones (half and quarter hours, ±14:00) and any other the syntax allows. */
const offsetMinutes = fc.oneof(
  fc.constantFrom(0, 60, -300, 330, -210, 840, -720, 630, 345),
  fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
);
function offsetText(minutes: number, zulu: 'Z' | 'z' | '+00:00' | '-00:00'): string {
  if (minutes === 0) return zulu;
  const magnitude = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(magnitude / 60), 2)}:${pad(magnitude % 60, 2)}`;
}
const zulu = fc.constantFrom<'Z' | 'z' | '+00:00' | '-00:00'>('Z', 'Z', 'z', '+00:00', '-00:00');
const offset = fc.tuple(offsetMinutes, zulu).map(([minutes, name]) => offsetText(minutes, name));

/** A leap second: 23:59:60 UTC, written at any offset (when that local date is in years 1-9999). */
const leapSecond = fc
  .tuple(dateParts, offsetMinutes, zulu, fractionOf(3))
  .map(([{ year, month, day }, minutes, name, fraction]) => {
    const local = new Date(utcMillis(year, month, day, 23, 59) + minutes * 60_000);
    const date = formatDate(local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate());
    return {
      year: local.getUTCFullYear(),
      text: `${date}T${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:60${fraction}${offsetText(minutes, name)}`,
    };
  })
  .filter(({ year }) => year >= 1 && year <= 9999)
  .map(({ text }) => text);

function validDateTime(maxFractionDigits = 9, minFractionDigits = 0): Arbitrary<string> {
  const usual = fc
    .tuple(validDate(), separator, clockParts.map(clockText), fractionOf(maxFractionDigits, minFractionDigits), offset)
    .map((parts) => parts.join(''));
  return fc.oneof({ arbitrary: usual, weight: 19 }, { arbitrary: leapSecond, weight: 1 });
}

function invalidDateTime(): Arbitrary<string> {
  const time = clockParts.map(clockText);
  const badClock = fc
    .oneof(
      fc.tuple(fc.integer({ min: 24, max: 99 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })),
      fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 60, max: 99 }), fc.integer({ min: 0, max: 59 })),
      fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 60, max: 99 })),
    )
    .map(([hour, minute, second]) => clockText({ hour, minute, second }));
  const badOffset = fc
    .oneof(
      fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 24, max: 99 }), fc.integer({ min: 0, max: 59 })),
      fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 60, max: 99 })),
    )
    .map(([sign, hours, minutes]) => `${sign}${pad(hours, 2)}:${pad(minutes, 2)}`);
  const mutations: ((text: string) => string)[] = [
    (text) => text.replace(/[Tt ]/, '_'),
    (text) => text.replace(/[Tt ]/, ''),
    (text) => text.replace(/:\d\d(?=[.Zz+-]|$)/, ''), // no seconds
    (text) => text.replace(/[+-](\d\d):/, '+$1::'),
    (text) => text.replace(/[+-]0?(\d):?/, '+$1:'),
    (text) => `${text} `,
    (text) => text.slice(0, 10), // a date alone
    (text) => text.replace(/\./, ','),
    FULLWIDTH_DIGITS,
  ];
  return fc
    .oneof(
      fc.tuple(validDate(), separator, time, fractionOf(3)).map((parts) => parts.join('')), // no offset
      fc.tuple(impossibleDate(), separator, time, offset).map((parts) => parts.join('')),
      fc.tuple(validDate(), separator, badClock, offset).map((parts) => parts.join('')),
      fc.tuple(validDate(), separator, time, badOffset).map((parts) => parts.join('')),
      fc.tuple(validDateTime(), fc.constantFrom(...mutations)).map(([text, mutate]) => mutate(text)),
      fc.constantFrom(
        '2026-11-21T09:30:00',
        '2026-02-30T10:00:00Z',
        '2026-11-21T24:00:00Z',
        '2026-11-21T23:59:60+01:00',
        'now',
      ),
    )
    .filter((text) => !isDateTime(text));
}

const FORMATS: Record<string, Format> = {
  date: {
    test: isDate,
    valid: validDate,
    invalid: invalidDate,
    edges: ['0000-01-01', '0000-12-31', '0001-01-01', '9999-12-31'],
  },
  'date-time': {
    test: isDateTime,
    valid: () => validDateTime(),
    invalid: invalidDateTime,
    longer: () => validDateTime(40, 22),
    edges: ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z'],
  },
};

// Integers.

function integerBounds(node: Json): { min: bigint; max: bigint } {
  const bounds = INTEGER_FORMATS[String(node.format ?? 'int64')];
  if (!bounds) throw new Error(`schema-arbitraries: unsupported integer format ${String(node.format)}`);
  const [formatMin, formatMax] = bounds;
  return {
    min: BigInt((node.minimum as number | undefined) ?? formatMin),
    max: BigInt((node.maximum as number | undefined) ?? formatMax),
  };
}

function validInteger(node: Json): Arbitrary<number> {
  const { min, max } = integerBounds(node);
  return fc.bigInt({ min, max }).map(Number);
}

function integerBreakages(node: Json, encoding: Encoding): Arbitrary<Invalid>[] {
  const { min, max } = integerBounds(node);
  const far = 2n ** 70n;
  const outside = fc.oneof(fc.bigInt({ min: min - far, max: min - 1n }), fc.bigInt({ min: max + 1n, max: max + far }));
  const decimals = fc
    .tuple(fc.bigInt({ min, max }), fc.stringMatching(/^\d{0,5}[1-9]$/))
    .map(([whole, fraction]) => `${whole}.${fraction}`)
    .filter((text) => !Number.isInteger(Number(text))); // not rounded to an integer by a double
  if (encoding === 'json') return [outside.map(Number).map(leaf('range')), decimals.map(Number).map(leaf('fraction'))];
  const outsideText = fc.oneof(
    outside.map(String),
    // Out of range in the other notations a lenient number parser also reads.
    fc
      .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 400 }), fc.boolean())
      .map(([digit, exponent, negative]) => `${negative ? '-' : ''}${digit}e${exponent}`),
    fc.constantFrom('Infinity', '-Infinity'),
  );
  const isOutside = (text: string) => Number(text) < Number(min) || Number(text) > Number(max);
  return [
    outsideText.filter(isOutside).map(leaf('range')),
    decimals.map(leaf('fraction')),
    urlText()
      .filter((text) => Number.isNaN(Number(text)))
      .map(leaf('type')),
  ];
}

// Wrong JSON types.

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function wrongType(node: Json): Arbitrary<Invalid> {
  const accepts = (type: string) => type === node.type || (type === 'null' && node.nullable === true);
  return fc
    .jsonValue({ maxDepth: 2 })
    .filter((value) => !accepts(jsonType(value)))
    .map(leaf('type'));
}

// Instants, as the server stores and compares them.

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):?(\d{2})?)$/;

/**
 * The instant (ms since the epoch, to the millisecond: finer fractions are cut) that an RFC 3339
 * date-time names, or `undefined` if it is not one. A leap second is the instant after 23:59:59.
 */
export function instantOf(text: string): number | undefined {
  const parts = INSTANT.exec(text);
  if (!parts || !isDateTime(text)) return undefined;
  const [year, month, day, hours, minutes, seconds] = parts.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number(`${(parts[7] ?? '.').slice(1)}000`.slice(0, 3));
  const leap = seconds === 60;
  const offset =
    parts[8] === undefined
      ? 0
      : (parts[8] === '-' ? -1 : 1) * (Number(parts[9]) * 60 + Number(parts[10] ?? 0)) * 60_000;
  return utcMillis(year, month, day, hours, minutes, leap ? 59 : seconds, millis) - offset + (leap ? 1000 : 0);
}

/** Years 1 to 9999 in UTC: the instants PostgreSQL and both drivers hold. */
export const EARLIEST_INSTANT = utcMillis(1, 1, 1);
export const LATEST_INSTANT = utcMillis(9999, 12, 31, 23, 59, 59, 999);
export const isStorableInstant = (millis: number | undefined): millis is number =>
  millis !== undefined && millis >= EARLIEST_INSTANT && millis <= LATEST_INSTANT;

// Task rules across fields: the due fields, the recurrence, the reminders and the tags together.
// Most are the schema's own (`not` rules, the zone list, the due-date pattern); the others it
// states in words (the server checks them after the schema): each rule says which it is.

/** Real IANA zones, on both sides of UTC, with half-hour and DST-of-half-an-hour offsets. */
export const TIME_ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];

export const SCHEDULE_FIELDS = ['due_date', 'due_at', 'time_zone', 'recurrence', 'reminders'] as const;
export type ScheduleField = (typeof SCHEDULE_FIELDS)[number];

export interface RecurrenceInput {
  readonly frequency: string;
  readonly interval?: number;
  readonly weekdays?: readonly string[];
  readonly until?: string | null;
  readonly count?: number | null;
  readonly mode?: string;
}

/** A reminder as written (ReminderDefinition): an absent member is null. */
export interface ReminderInput {
  readonly at?: string | null;
  readonly before_due?: string | null;
  readonly time?: string | null;
}

/** The fields that decide when a task is due, how it repeats and when it reminds; null (no reminder: empty): none. */
export interface Schedule {
  readonly due_date: string | null;
  readonly due_at: string | null;
  readonly time_zone: string | null;
  readonly recurrence: RecurrenceInput | null;
  readonly reminders: readonly ReminderInput[];
}

const TASK = operationSchemas('createTask').bodies['application/json']!;
export const RECURRENCE_SCHEMA = propertySchema(TASK, 'recurrence');
const TAGS_SCHEMA = propertySchema(TASK, 'tags');
const TAG_SCHEMA = resolve(TAGS_SCHEMA).items as Schema;
/** The zones the spec lists (null aside): the only ones the server takes. */
const LISTED_ZONES: ReadonlySet<unknown> = new Set(resolve(propertySchema(TASK, 'time_zone')).enum as unknown[]);
const FREQUENCIES = resolve(propertySchema(RECURRENCE_SCHEMA, 'frequency')).enum as string[];
const TAG_MAX_LENGTH = Number(resolve(TAG_SCHEMA).maxLength);

/** Whether the zone is one the spec lists (exactly as spelled). */
export function isKnownZone(zone: string): boolean {
  return zone !== null && LISTED_ZONES.has(zone);
}

/** The date the task is first due on: its due date, or its due instant's date in its zone (UTC without one). */
type DueFields = Pick<Schedule, 'due_date' | 'due_at' | 'time_zone'>;

function startDate(schedule: DueFields): string | null {
  if (schedule.due_date !== null) return schedule.due_date;
  if (schedule.due_at === null) return null;
  const instant = instantOf(schedule.due_at);
  const zone = schedule.time_zone ?? 'UTC';
  if (!isStorableInstant(instant) || !isKnownZone(zone)) return null;
  return DateTime.fromMillis(instant, { zone }).toISODate();
}

export interface ScheduleRule {
  readonly name: string;
  /** Where the server names the broken rule in the request body. */
  readonly pointer: string;
  /** Whether the body's schema states it (the validator refuses it); otherwise only its description does. */
  readonly inSchema: boolean;
  holds(schedule: Schedule): boolean;
}

const FIRST_DUE_DATE = '0001-01-02';
const LAST_DUE_DATE = '9999-12-30';
const hasDue = (schedule: DueFields) => schedule.due_date !== null || schedule.due_at !== null;

const DUE_RULES: readonly ScheduleRule[] = [
  {
    name: 'due_date and due_at not both',
    pointer: '',
    inSchema: true,
    holds: (s) => s.due_date === null || s.due_at === null,
  },
  {
    name: 'due_at in years 1-9999 in UTC',
    pointer: '/due_at',
    inSchema: false,
    holds: (s) => s.due_at === null || isStorableInstant(instantOf(s.due_at)),
  },
  // That day, in any zone, stays within years 1-9999 in UTC (the DueDate pattern).
  {
    name: 'due_date from 0001-01-02 to 9999-12-30',
    pointer: '/due_date',
    inSchema: true,
    holds: (s) => s.due_date === null || (s.due_date >= FIRST_DUE_DATE && s.due_date <= LAST_DUE_DATE),
  },
  {
    name: 'time_zone a real IANA zone',
    pointer: '/time_zone',
    inSchema: true,
    holds: (s) => s.time_zone === null || isKnownZone(s.time_zone),
  },
  {
    name: 'due_at needs time_zone',
    pointer: '',
    inSchema: true,
    holds: (s) => s.due_at === null || s.time_zone !== null,
  },
  { name: 'time_zone needs a due', pointer: '', inSchema: true, holds: (s) => s.time_zone === null || hasDue(s) },
  { name: 'recurrence needs a due', pointer: '', inSchema: true, holds: (s) => s.recurrence === null || hasDue(s) },
  {
    name: 'weekdays only for weekly rules',
    pointer: '/recurrence',
    inSchema: true,
    holds: (s) =>
      s.recurrence === null || (s.recurrence.weekdays ?? []).length === 0 || s.recurrence.frequency === 'weekly',
  },
  {
    name: 'until and count not both',
    pointer: '/recurrence',
    inSchema: true,
    holds: (s) => s.recurrence?.until == null || s.recurrence.count == null,
  },
  {
    name: 'until not before the due date',
    pointer: '/recurrence/until',
    inSchema: false,
    holds: (s) => {
      const start = startDate(s);
      return s.recurrence?.until == null || start === null || s.recurrence.until >= start;
    },
  },
];

/** An ISO 8601 duration of the spec's form (ReminderOffset) as calendar days (weeks included) and elapsed seconds. */
export function offsetOf(text: string): { days: number; seconds: number } {
  const [, w = '0', d = '0', h = '0', m = '0', sec = '0'] =
    /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text) ?? [];
  return { days: Number(w) * 7 + Number(d), seconds: Number(h) * 3600 + Number(m) * 60 + Number(sec) };
}

const LONGEST_OFFSET_S = 30 * 86_400;
const offsetSeconds = (text: string) => offsetOf(text).days * 86_400 + offsetOf(text).seconds;

/**
 * The instant (ms) a reminder is for on a task of that schedule (the descriptions of
 * ReminderDefinition and ReminderOffset): `at` itself; before a due instant, calendar days in the
 * task's zone then elapsed time; on a due date, days before it at `time` in the zone (UTC without
 * one), a skipped time moved on by the gap and a repeated one its first occurrence (as the
 * server's recurrence reads local times). Undefined without a due, or out of any calendar.
 */
export function reminderInstant(reminder: ReminderInput, schedule: Schedule): number | undefined {
  if (reminder.at != null) return instantOf(reminder.at);
  const { days, seconds } = offsetOf(reminder.before_due!);
  const zone = schedule.time_zone ?? 'UTC';
  if (schedule.due_at !== null) {
    const due = DateTime.fromMillis(instantOf(schedule.due_at)!, { zone });
    return due.minus({ days }).minus({ seconds }).toMillis();
  }
  if (schedule.due_date === null || reminder.time == null) return undefined;
  const day = DateTime.fromISO(schedule.due_date, { zone: 'UTC' }).minus({ days });
  const [hour, minute] = reminder.time.split(':').map(Number) as [number, number];
  return atLocalTime({ year: day.year, month: day.month, day: day.day, hour, minute }, zone).toMillis();
}

/** The rules of reminders, which the server checks once the due and recurrence keep theirs; a broken one is at its reminder. */
const REMINDER_RULES: readonly (Omit<ScheduleRule, 'holds'> & {
  holds(reminder: ReminderInput, s: Schedule): boolean;
})[] = [
  {
    name: 'reminder at in years 1-9999 in UTC',
    pointer: '/reminders/0/at',
    inSchema: false,
    holds: (r) => r.at == null || isStorableInstant(instantOf(r.at)),
  },
  {
    name: 'reminder before_due needs a due',
    pointer: '/reminders/0/before_due',
    inSchema: false,
    holds: (r, s) => r.before_due == null || hasDue(s),
  },
  {
    name: 'reminder before_due at most 30 days',
    pointer: '/reminders/0/before_due',
    inSchema: false,
    holds: (r, s) => r.before_due == null || !hasDue(s) || offsetSeconds(r.before_due) <= LONGEST_OFFSET_S,
  },
  {
    name: 'reminder before_due whole days on a due date',
    pointer: '/reminders/0/before_due',
    inSchema: false,
    holds: (r, s) => r.before_due == null || s.due_date === null || offsetOf(r.before_due).seconds === 0,
  },
  {
    name: 'reminder time required on a due date',
    pointer: '/reminders/0/time',
    inSchema: false,
    holds: (r, s) => r.before_due == null || s.due_date === null || r.time != null,
  },
  {
    name: 'reminder time only on a due date',
    pointer: '/reminders/0/time',
    inSchema: false,
    holds: (r, s) => r.time == null || s.due_at === null,
  },
];

/** A relative reminder that keeps the rules above but is for an instant out of years 1-9999 (before a due near year 1). */
const REMINDER_IN_RANGE: ScheduleRule = {
  name: 'reminder in years 1-9999 in UTC',
  pointer: '/reminders/0/before_due',
  inSchema: false,
  holds: (s) =>
    s.reminders.every(
      (r) =>
        r.before_due == null ||
        REMINDER_RULES.some((rule) => !rule.holds(r, s)) ||
        isStorableInstant(reminderInstant(r, s)),
    ),
};

/** The rules, due fields first: the server checks the reminders only once those hold. */
export const SCHEDULE_RULES: readonly ScheduleRule[] = [
  ...DUE_RULES,
  ...[
    ...REMINDER_RULES.map((rule): ScheduleRule => ({
      ...rule,
      holds: (s) => s.reminders.every((reminder) => rule.holds(reminder, s)),
    })),
    REMINDER_IN_RANGE,
  ].map((rule) => ({ ...rule, holds: (s: Schedule) => DUE_RULES.some((due) => !due.holds(s)) || rule.holds(s) })),
];

export const brokenRules = (schedule: Schedule): ScheduleRule[] =>
  SCHEDULE_RULES.filter((rule) => !rule.holds(schedule));

const zone = fc.constantFrom(...TIME_ZONES);
const LAST_DAY = dayOfDate('9999-12-31');
const FIRST_DAY = dayOfDate('0001-01-01');

/** Dates from `start` on (it included), up to 9999-12-31, and never before year 1. */
function datesFrom(start: string): Arbitrary<string> {
  const first = Math.max(dayOfDate(start), FIRST_DAY);
  if (first > LAST_DAY) return fc.constant('9999-12-31');
  const after = fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 31 }),
    fc.integer({ min: 0, max: LAST_DAY - first }),
  );
  return after.map((days) => dateOfDay(Math.min(first + days, LAST_DAY)));
}

/** A rule valid for a task first due on `start`: weekdays only when weekly, `until` (not before start) or `count`. */
function validRecurrence(start: string): Arbitrary<RecurrenceInput> {
  const base = validValue(
    withoutProperties(RECURRENCE_SCHEMA, ['weekdays', 'until', 'count']),
  ) as Arbitrary<RecurrenceInput>;
  const weekdays = (frequency: string) =>
    frequency === 'weekly'
      ? fc.option(validValue(propertySchema(RECURRENCE_SCHEMA, 'weekdays')) as Arbitrary<string[]>, { nil: undefined })
      : fc.constantFrom<string[] | undefined>(undefined, []);
  const end = fc.oneof(
    fc.constant({}),
    fc.record({ until: datesFrom(start), count: fc.constant(null) }, { requiredKeys: ['until'] }),
    fc.record(
      {
        until: fc.constant(null),
        count: validValue(propertySchema(RECURRENCE_SCHEMA, 'count')) as Arbitrary<number | null>,
      },
      { requiredKeys: ['count'] },
    ),
  );
  return base.chain((rule) =>
    fc
      .tuple(weekdays(rule.frequency), end)
      .map(([days, ending]) => ({ ...rule, ...(days === undefined ? {} : { weekdays: days }), ...ending })),
  );
}

/** Due instants the server can store, in the spellings the validator accepts. */
const storableDateTime = () => validDateTime().filter((text) => isStorableInstant(instantOf(text)));

/** All-day due dates the server takes: every date of years 1-9999 but the first and the last. */
const dueDate = () =>
  fc
    .oneof(
      { arbitrary: validDate(), weight: 9 },
      { arbitrary: fc.constantFrom(FIRST_DUE_DATE, LAST_DUE_DATE), weight: 1 },
    )
    .filter((date) => date >= FIRST_DUE_DATE && date <= LAST_DUE_DATE);

/** Schedules that keep every rule: none, an all-day due date (zone optional), or a due instant with its zone; each maybe recurring. */
export function validSchedule(): Arbitrary<Schedule> {
  const none = { due_date: null, due_at: null, time_zone: null };
  const due = fc.oneof(
    { arbitrary: fc.constant(none), weight: 1 },
    {
      arbitrary: fc.record({
        due_date: dueDate(),
        due_at: fc.constant(null),
        time_zone: fc.option(zone, { nil: null }),
      }),
      weight: 2,
    },
    { arbitrary: fc.record({ due_date: fc.constant(null), due_at: storableDateTime(), time_zone: zone }), weight: 2 },
  );
  return due.chain((fields) => {
    const start = startDate(fields);
    const recurrence = start === null ? fc.constant(null) : fc.option(validRecurrence(start), { nil: null });
    return fc
      .tuple(recurrence, validReminders(fields))
      .map(([rule, reminders]) => ({ ...fields, recurrence: rule, reminders }));
  });
}

/** Mostly none, else up to `max`. */
const few = (max: number) => fc.oneof(fc.constant(0), fc.integer({ min: 0, max }));

/** A duration of the spec's form (ReminderOffset) from its parts, those that are zero left out. */
function durationText(parts: { weeks: number; days: number; hours: number; minutes: number; seconds: number }): string {
  const { weeks, days, hours, minutes, seconds } = parts;
  const date = `${weeks ? `${weeks}W` : ''}${days ? `${days}D` : ''}`;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  return date === '' && time === '' ? 'PT0S' : `P${date}${time ? `T${time}` : ''}`;
}

/** Durations of every form up to 30 days (`PT90M`, `P1DT2H`, `P4W`, `PT0S`...). */
const offsetWithin30Days = () =>
  fc
    .record({ weeks: few(4), days: few(30), hours: few(720), minutes: few(1500), seconds: few(90_000) })
    .map(durationText)
    .filter((text) => offsetSeconds(text) <= LONGEST_OFFSET_S);

/** Whole days up to 30 (`P1D`, `P2W`, `P0D`...). */
const wholeDaysWithin30 = () =>
  fc
    .record({ weeks: few(4), days: few(30) })
    .map(({ weeks, days }) =>
      weeks === 0 && days === 0 ? 'P0D' : durationText({ weeks, days, hours: 0, minutes: 0, seconds: 0 }),
    )
    .filter((text) => offsetSeconds(text) <= LONGEST_OFFSET_S);

const timeOfDay = () =>
  fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([hours, minutes]) => `${pad(hours, 2)}:${pad(minutes, 2)}`);

/** The definition, now and then with its absent members written as null (as a task shows them). */
const maybeWithNulls = (definition: ReminderInput): Arbitrary<ReminderInput> =>
  fc.constantFrom(definition, { at: null, before_due: null, time: null, ...definition });

/** Up to 5 reminders, each once, that fit the task: at an instant, or before its due (at a time of day on a date). */
function validReminders(fields: DueFields): Arbitrary<ReminderInput[]> {
  const atInstant = storableDateTime().map((at): ReminderInput => ({ at }));
  const relative =
    fields.due_at !== null
      ? offsetWithin30Days().map((before_due): ReminderInput => ({ before_due }))
      : fields.due_date !== null
        ? fc.record({ before_due: wholeDaysWithin30(), time: timeOfDay() })
        : undefined;
  const one = (relative ? fc.oneof(atInstant, relative) : atInstant).chain(maybeWithNulls).map(withPrototype);
  const schedule: Schedule = { ...fields, recurrence: null, reminders: [] };
  return fc
    .uniqueArray(one, { maxLength: 5, selector: (reminder) => JSON.stringify(reminder) })
    .filter((reminders) => reminders.every((reminder) => isStorableInstant(reminderInstant(reminder, schedule))));
}

/** Names the zone list leaves out: typos, made-up places, names some libraries read as zones, real zones in other case. */
function unknownZone(): Arbitrary<string> {
  const lookalikes = fc.constantFrom(
    'Europe/Berlinn',
    'Mars/Olympus_Mons',
    'America/New_york_City',
    'Etc/GMT+15',
    'local',
    'system',
    'UTC+3',
    'Utc-05',
    'GMT+1',
    'Asia/Calcutta_',
    'PST',
    'Factory',
  );
  const otherCase = zone.map((name) => name.toLowerCase()).filter((name) => !isKnownZone(name));
  const anyName = fc.string({ minLength: 1, maxLength: 64 });
  return fc.oneof(lookalikes, otherCase, anyName).filter((name) => !isKnownZone(name));
}

/** Instants in years 1-9999 locally whose offset moves them out of years 1-9999 in UTC. */
export const unstorableDateTime = (): Arbitrary<string> =>
  fc
    .tuple(fc.boolean(), clockParts, fc.integer({ min: 1, max: 23 * 60 + 59 }), fractionOf(3))
    .map(
      ([early, clock, minutes, fraction]) =>
        `${early ? '0001-01-01' : '9999-12-31'}T${clockText(clock)}${fraction}${offsetText(early ? minutes : -minutes, 'Z')}`,
    )
    .filter((text) => isDateTime(text) && !isStorableInstant(instantOf(text)));

export interface BrokenSchedule {
  readonly schedule: Schedule;
  /** The one rule it breaks. */
  readonly rule: ScheduleRule;
}

/** Schedules that match the schema but break exactly one rule, each rule in turn. */
export function invalidSchedule(): Arbitrary<BrokenSchedule> {
  const rule = (name: string) => SCHEDULE_RULES.find((candidate) => candidate.name === name)!;
  const recurring = validSchedule().filter((s) => s.recurrence !== null);
  const dated = validSchedule().filter(hasDue);
  const none: Schedule = { due_date: null, due_at: null, time_zone: null, recurrence: null, reminders: [] };
  const withoutEnd = (recurrence: RecurrenceInput | null) =>
    recurrence === null ? null : { ...recurrence, until: null };
  const breakers: [string, Arbitrary<Schedule>][] = [
    [
      'due_date and due_at not both',
      fc
        .tuple(
          validSchedule().filter((s) => s.due_at !== null),
          dueDate(),
        )
        .map(([s, date]) => ({ ...s, due_date: date })),
    ],
    [
      'due_at in years 1-9999 in UTC',
      fc.tuple(unstorableDateTime(), zone, validSchedule()).map(([text, name, s]) => ({
        ...s,
        due_date: null,
        due_at: text,
        time_zone: name,
        recurrence: withoutEnd(s.recurrence),
      })),
    ],
    [
      'due_date from 0001-01-02 to 9999-12-30',
      fc
        .tuple(
          fc.oneof(
            validDate().map((date) => `0000${date.slice(4)}`),
            fc.constantFrom('0001-01-01', '9999-12-31'),
          ),
          fc.option(zone, { nil: null }),
          recurring,
        )
        .map(([date, name, s]) => ({
          due_date: date,
          due_at: null,
          time_zone: name,
          recurrence: withoutEnd(s.recurrence),
          reminders: [],
        })),
    ],
    ['time_zone a real IANA zone', fc.tuple(dated, unknownZone()).map(([s, name]) => ({ ...s, time_zone: name }))],
    [
      'due_at needs time_zone',
      validSchedule()
        .filter((s) => s.due_at !== null)
        .map((s) => ({ ...s, time_zone: null })),
    ],
    ['time_zone needs a due', zone.map((name) => ({ ...none, time_zone: name }))],
    ['recurrence needs a due', recurring.map((s) => ({ ...none, recurrence: s.recurrence }))],
    [
      'weekdays only for weekly rules',
      fc
        .tuple(
          recurring,
          fc.constantFrom(...FREQUENCIES.filter((frequency) => frequency !== 'weekly')),
          validValue(propertySchema(RECURRENCE_SCHEMA, 'weekdays')) as Arbitrary<string[]>,
        )
        .filter(([, , weekdays]) => weekdays.length > 0)
        .map(([s, frequency, weekdays]) => ({ ...s, recurrence: { ...s.recurrence!, frequency, weekdays } })),
    ],
    [
      'until and count not both',
      recurring.chain((s) =>
        fc
          .tuple(datesFrom(startDate(s)!), fc.integer({ min: 1, max: 1000 }))
          .map(([until, count]) => ({ ...s, recurrence: { ...s.recurrence!, until, count } })),
      ),
    ],
    [
      'until not before the due date',
      recurring
        .filter((s) => dayOfDate(startDate(s)!) - 2 >= FIRST_DAY - 365)
        .chain((s) => {
          // A leap second's date is read either way: keep clear of both.
          const latest = dayOfDate(startDate(s)!) - (s.due_at?.includes(':60') ? 2 : 1);
          return fc
            .integer({ min: Math.max(FIRST_DAY - 365, latest - 4000), max: latest })
            .map((day) => ({ ...s, recurrence: { ...s.recurrence!, until: dateOfDay(day), count: null } }));
        }),
    ],
    ...reminderBreakers(none),
  ];
  return fc.oneof(
    ...breakers.map(([name, arbitrary]) =>
      arbitrary
        .filter(
          (schedule) =>
            brokenRules(schedule)
              .map((broken) => broken.name)
              .join() === name,
        )
        .map((schedule): BrokenSchedule => ({ schedule, rule: rule(name) })),
    ),
  );
}

/** Schedules that break one rule of reminders (with that one reminder): the breaker of each rule, by name. */
function reminderBreakers(none: Schedule): [string, Arbitrary<Schedule>][] {
  const withReminder = (schedule: Arbitrary<Schedule>, reminder: (s: Schedule) => Arbitrary<ReminderInput>) =>
    schedule.chain((s) => reminder(s).map((one) => ({ ...s, reminders: [withPrototype(one)] })));
  const onDate = validSchedule().filter((s) => s.due_date !== null);
  const atInstant = validSchedule().filter((s) => s.due_at !== null);
  const longer = fc.oneof(
    fc.integer({ min: 31, max: 100_000 }).map((days) => `P${days}D`),
    fc.integer({ min: 5, max: 10_000 }).map((weeks) => `P${weeks}W`),
    fc.integer({ min: 30 * 24 + 1, max: 10_000_000 }).map((hours) => `PT${hours}H`),
    fc.constantFrom('P30DT1S', 'P4W2DT1S', 'P99999999999999999999D'),
  );
  return [
    [
      'reminder at in years 1-9999 in UTC',
      withReminder(validSchedule(), () => unstorableDateTime().map((at) => ({ at }))),
    ],
    [
      'reminder before_due needs a due',
      withReminder(fc.constant(none), () =>
        fc.record({ before_due: offsetWithin30Days(), time: fc.option(timeOfDay(), { nil: null }) }),
      ),
    ],
    [
      'reminder before_due at most 30 days',
      withReminder(validSchedule().filter(hasDue), (s) =>
        s.due_date !== null
          ? fc.record({ before_due: longer.filter((text) => offsetOf(text).seconds === 0), time: timeOfDay() })
          : fc.record({ before_due: longer }),
      ),
    ],
    [
      'reminder before_due whole days on a due date',
      withReminder(onDate, () =>
        fc.record({
          before_due: offsetWithin30Days().filter((text) => offsetOf(text).seconds > 0),
          time: timeOfDay(),
        }),
      ),
    ],
    [
      'reminder time required on a due date',
      withReminder(onDate, () => fc.record({ before_due: wholeDaysWithin30() })),
    ],
    [
      'reminder time only on a due date',
      withReminder(atInstant, () => fc.record({ before_due: offsetWithin30Days(), time: timeOfDay() })),
    ],
    [
      'reminder in years 1-9999 in UTC',
      fc.tuple(fc.integer({ min: 2, max: 30 }), timeOfDay()).map(([days, time]) => ({
        ...none,
        due_date: FIRST_DUE_DATE,
        reminders: [{ before_due: `P${days}D`, time }],
      })),
    ],
  ];
}

/**
 * A tag as stored and compared: trimmed, in lower case, and (the server's choice, not in the
 * spec's Tag description yet) in Unicode NFC, so that `café` precomposed or not is one tag.
 */
export const normalizedTag = (tag: string) => tag.normalize('NFC').trim().toLowerCase();

/** Tags as stored: normalised, each once, in the order first given. */
export const normalizedTags = (tags: readonly string[]) => [...new Set(tags.map(normalizedTag))];

/** Whether a tag is still at most 40 characters once stored (lower case can be longer: `İ` becomes two). */
const fitsLowerCased = (tag: string) => codePointLength(normalizedTag(tag)) <= TAG_MAX_LENGTH;

/** Tags the server accepts: the schema's, each short enough in lower case. */
export function validTags(): Arbitrary<string[]> {
  return (validValue(TAGS_SCHEMA) as Arbitrary<string[]>).filter((tags) => tags.every(fitsLowerCased));
}

/**
 * Valid tags and one that the schema allows but is over 40 characters in lower case, at
 * `pointer` (into the tags as sent: duplicates before it, which are stored once, still count).
 */
export function invalidTags(): Arbitrary<{ tags: string[]; pointer: string }> {
  const matchesTag = matcher(resolve(TAG_SCHEMA));
  const long = fc
    .array(fc.constantFrom('\u0130', '\u0130', 'a', 'Z', '\u00e9', '\u00df', '1', ' '), {
      minLength: 21,
      maxLength: TAG_MAX_LENGTH,
    })
    .map((points) => points.join(''))
    .filter((tag) => matchesTag(tag) && !fitsLowerCased(tag));
  const maxItems = Number(resolve(TAGS_SCHEMA).maxItems);
  const variants = [(tag: string) => tag, (tag: string) => tag.toUpperCase(), (tag: string) => ` ${tag}`];
  const withDuplicates = fc
    .tuple(validTags(), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...variants)), { maxLength: 3 }))
    .map(([tags, copies]) => {
      const result = [...tags];
      for (const [from, at, variant] of tags.length === 0 ? [] : copies) {
        const copy = variant(tags[from % tags.length]!);
        const fits = codePointLength(copy) <= TAG_MAX_LENGTH && matchesTag(copy);
        if (fits && normalizedTag(copy) === normalizedTag(tags[from % tags.length]!))
          result.splice(at % (result.length + 1), 0, copy);
      }
      return result;
    });
  return fc.tuple(withDuplicates, long, fc.nat()).map(([tags, tag, at]) => {
    const kept = tags.slice(0, maxItems - 1);
    const index = at % (kept.length + 1);
    kept.splice(index, 0, tag);
    return { tags: kept, pointer: `/tags/${index}` };
  });
}
