import { forEachSpecObject, isJsonObject as isObject, type JsonObject } from './spec-nodes.js';

/**
 * The combinations of members a schema refuses (`not: { anyOf: [branch, …] }`, each branch with
 * its words in `x-rule`). The validator only says "must NOT be valid" at the object; the branches
 * the object matches say which rule it broke. A branch uses only `required`, and per property
 * `enum`, `not: { enum }` and `minItems`, which is all that is matched here.
 */
export interface RefusedCombination {
  readonly required: readonly string[];
  readonly properties: Readonly<Record<string, PropertyCondition>>;
  readonly words: string;
  /** The members of the object schema that refuses it. */
  readonly members: readonly string[];
}

interface PropertyCondition {
  readonly enum?: readonly unknown[];
  readonly not?: { readonly enum?: readonly unknown[] };
  readonly minItems?: number;
}

/** Every worded branch of every `not: { anyOf }` in the (bundled) spec. */
export function refusedCombinations(spec: unknown): RefusedCombination[] {
  const found: RefusedCombination[] = [];
  forEachSpecObject(spec, (node) => {
    const branches = isObject(node.not) && Array.isArray(node.not.anyOf) ? node.not.anyOf : [];
    const members = isObject(node.properties) ? Object.keys(node.properties) : [];
    for (const branch of branches) {
      if (!isObject(branch) || typeof branch['x-rule'] !== 'string') continue;
      found.push({
        required: (branch.required as string[] | undefined) ?? [],
        properties: (branch.properties as Record<string, PropertyCondition> | undefined) ?? {},
        words: branch['x-rule'],
        members,
      });
    }
  });
  return found;
}

/**
 * The words of every refused combination `value` is (several rules may be broken at once), or
 * undefined. Only the value is known, not its schema: of the combinations it is, those of the
 * schemas sharing the most members with it (a rule on absent members, such as a reminder's
 * "at or before_due", matches any object that lacks them, a task's too).
 */
export function brokenCombinations(combinations: readonly RefusedCombination[], value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const shared = ({ members }: RefusedCombination) => Object.keys(value).filter((key) => members.includes(key)).length;
  const broken = combinations.filter((combination) => matches(combination, value));
  const most = Math.max(...broken.map(shared));
  const words = new Set(broken.filter((combination) => shared(combination) === most).map(({ words }) => words));
  return words.size === 0 ? undefined : [...words].join('; ');
}

function matches({ required, properties }: RefusedCombination, value: JsonObject): boolean {
  return (
    required.every((name) => Object.hasOwn(value, name)) &&
    Object.entries(properties).every(([name, condition]) => holds(condition, Object.hasOwn(value, name), value[name]))
  );
}

/** JSON Schema's reading: a condition on an absent property holds. */
function holds(condition: PropertyCondition, present: boolean, member: unknown): boolean {
  if (!present) return true;
  if (condition.enum && !condition.enum.includes(member)) return false;
  if (condition.not?.enum?.includes(member)) return false;
  if (condition.minItems !== undefined && Array.isArray(member) && member.length < condition.minItems) return false;
  return true;
}
