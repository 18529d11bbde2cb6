import type { SpecDocument } from '../contract/spec-document.js';
import { forEachSpecObject, isJsonObject as isObject, type JsonObject as Json } from './spec-nodes.js';

/**
 * The spec as the request validator reads it. A `oneOf` with a `discriminator` is validated by the
 * branch its tag names (ajv's `discriminator` option), so that a bulk action with `"op": "create"`
 * is judged by the create branch alone: its errors point at that branch's fields, not at every
 * other op's. ajv refuses a `mapping`, which OpenAPI needs for tag values other than schema names
 * (and the SDK generator reads): each mapping is checked to say what its branch's own tag enum
 * says, then left out, so that the validator judges exactly as the mapping reads.
 */
export function validatorSpec(spec: SpecDocument): SpecDocument {
  const schemas = (spec as { components?: { schemas?: Json } }).components?.schemas ?? {};
  const copy = structuredClone(spec);
  forEachSpecObject(copy, (node) => {
    const discriminator = node.discriminator;
    if (!isObject(discriminator) || !isObject(discriminator.mapping)) return;
    const propertyName = String(discriminator.propertyName);
    for (const [tag, ref] of Object.entries(discriminator.mapping)) {
      const branch = schemas[String(ref).replace('#/components/schemas/', '')];
      const tags = isObject(branch) && isObject(branch.properties) ? (branch.properties[propertyName] as Json) : {};
      if (!Array.isArray(tags?.enum) || tags.enum.length !== 1 || tags.enum[0] !== tag)
        throw new Error(`discriminator mapping ${tag} -> ${String(ref)}: the branch's ${propertyName} is not [${tag}]`);
    }
    const { mapping: _mapping, ...rest } = discriminator;
    node.discriminator = rest;
  });
  return copy;
}
